package reports

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
)

// largeResult builds a big incident's result deterministically: a flame
// tree of about nodes nodes built from sampled stacks of Go-like function
// names, pauses GC pauses over ten minutes and groups goroutine groups.
func largeResult(nodes, pauses, groups int) *analyze.Result {
	rng := rand.New(rand.NewPCG(1, 2))
	fn := make([]string, 3000)
	for i := range fn {
		switch i % 5 {
		case 0:
			fn[i] = fmt.Sprintf("runtime.fn%d", i)
		case 1:
			fn[i] = fmt.Sprintf("github.com/acme/shop/internal/pkg%d.(*Type%d).Method%d", i%97, i%13, i)
		case 2:
			fn[i] = fmt.Sprintf("net/http.(*conn).serve%d", i)
		case 3:
			fn[i] = fmt.Sprintf("do_syscall_%d_[k]", i)
		default:
			fn[i] = fmt.Sprintf("github.com/acme/shop/cmd/api.handler%d.func%d", i%41, i%7)
		}
	}
	root := &analyze.FlameNode{Name: "all"}
	count := 1
	for count < nodes {
		depth := 5 + rng.IntN(40)
		v := int64(1 + rng.IntN(20))
		root.Value += v
		n := root
		f := rng.IntN(8) // few roots, like real profiles
		for d := 0; d < depth; d++ {
			var c *analyze.FlameNode
			for _, x := range n.Children {
				if x.Name == fn[f] {
					c = x
					break
				}
			}
			if c == nil {
				c = &analyze.FlameNode{Name: fn[f]}
				n.Children = append(n.Children, c)
				count++
			}
			c.Value += v
			n = c
			f = (f*31 + rng.IntN(6) + d) % len(fn)
		}
	}
	r := &analyze.Result{
		SchemaVersion: analyze.SchemaVersion, Tool: "coroner bench",
		Incident: analyze.Incident{ID: "inc-large", ArchiveDigest: strings.Repeat("ab", 32)},
		Verdict: analyze.Verdict{Cause: analyze.CauseGCSTW, Headline: "GC stop-the-world pauses dominate latency",
			Severity: analyze.Critical, Confidence: 0.8, FindingID: "gc_stw/pauses"},
		Flame: root,
	}
	for i := 0; i < 40; i++ {
		f := analyze.Finding{ID: fmt.Sprintf("cpu/hot-%d", i), Analyzer: "cpu", Version: "1", Title: "hot function " + fn[i],
			Severity: analyze.Warning, Confidence: 0.5, Culprit: &analyze.Culprit{Function: fn[i], File: "x.go", Line: i},
			Evidence: []analyze.Evidence{{Metric: "self_cpu_share", Value: float64(i), Unit: "%", Threshold: analyze.Threshold(5), Artifact: "artifacts/perf/perf.data"}}}
		for s := 0; s < 3; s++ {
			f.Stacks = append(f.Stacks, analyze.Stack{Title: "sample stack", Count: int64(100 - s), Unit: "samples", Frames: fn[s*50 : s*50+30]})
		}
		r.Findings = append(r.Findings, f)
	}
	r.Findings[0].ID = "gc_stw/pauses"
	span := 10 * time.Minute
	for i := 0; i < pauses; i++ {
		r.Pauses = append(r.Pauses, analyze.Pause{At: time.Duration(int64(span) * int64(i) / int64(max(pauses, 1))),
			Duration: time.Duration(50_000 + rng.IntN(20_000_000)), Kind: []string{"sweep termination", "mark termination"}[i%2], Source: "artifacts/trace/trace.out"})
	}
	for i := 0; i < groups; i++ {
		r.Goroutines = append(r.Goroutines, analyze.Group{Count: groups - i, Status: "waiting", WaitReason: "chan receive", Frames: fn[i%100 : i%100+20]})
	}
	for i := 0; i < 30; i++ {
		r.Inventory = append(r.Inventory, analyze.Item{Path: fmt.Sprintf("artifacts/pprof/cpu%d.pb.gz", i), Kind: "pprof", Size: 1 << 20, SHA256: strings.Repeat("cd", 32)})
	}
	r.Analyzers = []analyze.Run{{Name: "cpu", Version: "1", Status: "ok"}}
	return r
}

func TestLargeHTMLStaysSmall(t *testing.T) {
	r := largeResult(200000, 50000, 5000)
	var out bytes.Buffer
	if err := RenderHTML(&out, r, Options{}); err != nil {
		t.Fatal(err)
	}
	if out.Len() >= maxHTMLBytes {
		t.Errorf("HTML is %d bytes, want < %d", out.Len(), maxHTMLBytes)
	}
	page := out.String()
	if !strings.Contains(page, "are not drawn; the JSON report keeps the whole tree") {
		t.Error("HTML does not say that flame nodes were pruned")
	}
	if n := strings.Count(page, "<g data-i="); n > flameMaxNodes || n < 100 {
		t.Errorf("flame graph draws %d nodes, want 100..%d", n, flameMaxNodes)
	}
	if !strings.Contains(page, "drawn as one bar per pixel column") {
		t.Error("timeline does not say that pauses were merged")
	}
	t.Logf("HTML %d bytes, %d flame nodes drawn", out.Len(), strings.Count(page, "<g data-i="))
}

func TestFlamePruning(t *testing.T) {
	r := largeResult(30000, 0, 0)
	l := layoutFlame(r.Flame, flameMaxNodes)
	if len(l.Nodes) > flameMaxNodes {
		t.Fatalf("%d nodes kept, budget %d", len(l.Nodes), flameMaxNodes)
	}
	drawn := 0
	for _, n := range l.Nodes {
		if w := float64(n.Value) * flameWidth / float64(l.Total); w < flameMinWidth {
			t.Fatalf("node %q is %.3f px wide, below %v", l.Names[n.Name], w, flameMinWidth)
		}
		drawn++
	}
	if drawn+l.Pruned != countAll(r.Flame) {
		t.Errorf("drawn %d + pruned %d != %d nodes", drawn, l.Pruned, countAll(r.Flame))
	}
	// Children never overflow their parent.
	for i, n := range l.Nodes {
		for j := i + 1; j < len(l.Nodes) && l.Nodes[j].Depth > n.Depth; j++ {
			c := l.Nodes[j]
			if c.X < n.X || c.X+c.Value > n.X+n.Value {
				t.Fatalf("node %d [%d,%d) outside ancestor %d [%d,%d)", j, c.X, c.X+c.Value, i, n.X, n.X+n.Value)
			}
		}
	}
}

func BenchmarkRenderLarge(b *testing.B) {
	r := largeResult(200000, 50000, 5000)
	for _, name := range FormatNames() {
		b.Run(name, func(b *testing.B) {
			var out bytes.Buffer
			for b.Loop() {
				out.Reset()
				if err := Formats[name].Render(&out, r, Options{MaxBytes: 65536}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(out.Len()), "bytes")
		})
	}
	b.Run("terminal", func(b *testing.B) {
		var out bytes.Buffer
		for b.Loop() {
			out.Reset()
			if err := Terminal(&out, r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
