// Command gen writes the realistic result the report golden tests render,
// from a real run of the Go runtime: a CPU profile (runtime/pprof) of
// goroutines contending one sync.Mutex while allocating, the goroutine
// dump of that moment (runtime.Stack) and the GC pauses the runtime
// recorded (runtime/debug.ReadGCStats). The findings are written from those
// measurements the way the analyzers state them.
//
//	go run ./reports/testdata/gen -o reports/testdata/cases/lockwait/result.json
package main

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/pprof/profile"

	"github.com/coroner/coroner/analyze"
)

type store struct {
	mu   sync.Mutex
	data map[string][]byte
}

//go:noinline
func (s *store) put(k string, v []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := sha256.Sum256(v)
	s.data[k] = append([]byte(nil), sum[:]...)
	for i := 0; i < 50; i++ {
		sum = sha256.Sum256(sum[:])
	}
}

//go:noinline
func worker(s *store, id int, stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	buf := make([]byte, 0, 64)
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		buf = strconv.AppendInt(buf[:0], int64(i%1000), 10)
		s.put(strconv.Itoa(id)+"/"+string(buf), bytes.Repeat(buf, 32))
	}
}

func main() {
	out := flag.String("o", "result.json", "output file")
	dur := flag.Duration("d", 2*time.Second, "profiling time")
	flag.Parse()
	debug.SetGCPercent(20)
	start := time.Now()
	s := &store{data: map[string][]byte{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var prof bytes.Buffer
	if err := pprof.StartCPUProfile(&prof); err != nil {
		log.Fatal(err)
	}
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go worker(s, i, stop, &wg)
	}
	time.Sleep(*dur)
	stack := make([]byte, 1<<20)
	stack = stack[:runtime.Stack(stack, true)]
	close(stop)
	wg.Wait()
	pprof.StopCPUProfile()
	var gc debug.GCStats
	gc.PauseQuantiles = make([]time.Duration, 5)
	debug.ReadGCStats(&gc)

	p, err := profile.Parse(&prof)
	if err != nil {
		log.Fatal(err)
	}
	r := &analyze.Result{
		SchemaVersion: analyze.SchemaVersion,
		Tool:          "coroner dev",
		Incident: analyze.Incident{
			ID: "inc-lockwait-store", Title: "checkout latency spike",
			Labels:        map[string]string{"service": "checkout", "region": "eu-west-1"},
			Time:          time.Date(2026, 11, 25, 14, 3, 0, 0, time.UTC),
			ArchiveDigest: digest(prof.Bytes()),
		},
		Flame:      flame(p),
		FlameUnit:  "samples",
		Goroutines: groups(string(stack)),
		Pauses:     pauses(&gc, start),
	}
	fill(r, p, &gc)
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

func digest(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// flame merges the profile's samples into a call tree, root first.
func flame(p *profile.Profile) *analyze.FlameNode {
	root := &analyze.FlameNode{Name: "all"}
	for _, s := range p.Sample {
		v := s.Value[0]
		root.Value += v
		n := root
		for i := len(s.Location) - 1; i >= 0; i-- {
			ls := s.Location[i].Line
			for j := len(ls) - 1; j >= 0; j-- {
				n = child(n, ls[j].Function.Name)
				n.Value += v
			}
		}
	}
	return root
}

func child(n *analyze.FlameNode, name string) *analyze.FlameNode {
	for _, c := range n.Children {
		if c.Name == name {
			return c
		}
	}
	c := &analyze.FlameNode{Name: name}
	n.Children = append(n.Children, c)
	return c
}

// selfShare returns the fraction of samples whose leaf function contains sub.
func selfShare(p *profile.Profile, sub string) (float64, int64) {
	var hit, all int64
	for _, s := range p.Sample {
		all += s.Value[0]
		if len(s.Location) > 0 && len(s.Location[0].Line) > 0 && strings.Contains(s.Location[0].Line[0].Function.Name, sub) {
			hit += s.Value[0]
		}
	}
	if all == 0 {
		return 0, 0
	}
	return float64(hit) / float64(all), all
}

// groups buckets the goroutines of a runtime.Stack dump by identical stacks.
func groups(dump string) []analyze.Group {
	type key struct{ status, frames string }
	byKey := map[key]*analyze.Group{}
	var order []key
	for _, block := range strings.Split(strings.TrimSpace(dump), "\n\n") {
		lines := strings.Split(block, "\n")
		hdr := lines[0]
		i, j := strings.Index(hdr, "["), strings.LastIndex(hdr, "]")
		if i < 0 || j < i {
			continue
		}
		status := hdr[i+1 : j]
		if c := strings.Index(status, ","); c >= 0 {
			status = status[:c]
		}
		var frames []string
		created := ""
		for k := 1; k+1 < len(lines); k += 2 {
			fn := lines[k]
			if p := strings.LastIndex(fn, "("); p > 0 {
				fn = fn[:p]
			}
			loc := strings.TrimSpace(lines[k+1])
			if sp := strings.Index(loc, " +0x"); sp >= 0 {
				loc = loc[:sp]
			}
			if strings.HasPrefix(fn, "created by ") {
				created = strings.TrimPrefix(fn, "created by ")
				if sp := strings.Index(created, " in goroutine"); sp >= 0 {
					created = created[:sp]
				}
				continue
			}
			frames = append(frames, fn+" ("+loc[strings.LastIndex(loc, "/")+1:]+")")
		}
		k := key{status, strings.Join(frames, "\n")}
		g := byKey[k]
		if g == nil {
			g = &analyze.Group{Status: status, Frames: frames, CreatedBy: created}
			if status != "running" && status != "runnable" {
				g.WaitReason = status
			}
			byKey[k] = g
			order = append(order, k)
		}
		g.Count++
	}
	var out []analyze.Group
	for _, k := range order {
		out = append(out, *byKey[k])
	}
	slices.SortStableFunc(out, func(a, b analyze.Group) int { return b.Count - a.Count })
	return out
}

// pauses turns the runtime's pause history into timeline entries.
func pauses(gc *debug.GCStats, start time.Time) []analyze.Pause {
	var out []analyze.Pause
	for i := range gc.Pause {
		if i >= len(gc.PauseEnd) {
			break
		}
		at := gc.PauseEnd[i].Sub(start) - gc.Pause[i]
		if at < 0 {
			continue
		}
		out = append(out, analyze.Pause{At: at, Duration: gc.Pause[i], Kind: "stw", Source: "artifacts/gctrace/gctrace.log"})
	}
	slices.SortFunc(out, func(a, b analyze.Pause) int { return int(a.At - b.At) })
	return out
}

func buildID() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	f, err := elf.Open(exe)
	if err != nil {
		return ""
	}
	defer f.Close()
	s := f.Section(".note.go.buildid")
	if s == nil {
		return ""
	}
	b, err := s.Data()
	if err != nil || len(b) < 16 {
		return ""
	}
	return strings.TrimRight(string(b[16:]), "\x00")
}

// fill writes findings, verdict, inventory and runs from the measurements.
func fill(r *analyze.Result, p *profile.Profile, gc *debug.GCStats) {
	lockShare, samples := selfShare(p, "lock")
	hashShare, _ := selfShare(p, "sha256")
	var lockStack []string
	waiting := 0
	for _, g := range r.Goroutines {
		if g.WaitReason == "sync.Mutex.Lock" {
			waiting += g.Count
			if lockStack == nil {
				lockStack = g.Frames
			}
		}
	}
	culprit := &analyze.Culprit{Function: "main.(*store).put", File: "reports/testdata/gen/main.go", Line: 43}
	bid := buildID()
	r.Findings = []analyze.Finding{
		{
			ID: "lock_wait/main.(*store).put", Analyzer: "lock_wait", Version: "1", Title: "goroutines serialize on store.mu in main.(*store).put",
			Severity: analyze.Critical, Confidence: 0.86, Cause: analyze.CauseLockWait, Culprit: culprit,
			Summary: fmt.Sprintf("16 workers call main.(*store).put, which holds store.mu while hashing; %.1f%% of CPU samples are in lock code.", lockShare*100),
			Evidence: []analyze.Evidence{
				{Metric: "lock_cpu_share", Value: lockShare, Unit: "ratio", Threshold: analyze.Threshold(0.05), Artifact: "artifacts/pprof/cpu.pb.gz", Note: "samples whose leaf is runtime lock or futex code"},
				{Metric: "goroutines_waiting_on_mutex", Value: float64(waiting), Unit: "goroutines", Threshold: analyze.Threshold(4), Artifact: "artifacts/goroutines/goroutines.txt"},
				{Metric: "cpu_samples", Value: float64(samples), Unit: "samples", Artifact: "artifacts/pprof/cpu.pb.gz"},
			},
			Stacks: []analyze.Stack{{Title: "waiters on store.mu", Count: int64(waiting), Unit: "goroutines", Frames: lockStack}},
			Remedy: "Hash outside the critical section: compute the digest before s.mu.Lock() and hold the lock only for the map write, or shard the map by key.",
		},
		{
			ID: "cpu/crypto-sha256", Analyzer: "cpu", Version: "1", Title: "SHA-256 hashing is the hottest code",
			Severity: analyze.Warning, Confidence: 0.7, Culprit: &analyze.Culprit{Function: "crypto/sha256.Sum256"},
			Evidence: []analyze.Evidence{{Metric: "self_cpu_share", Value: hashShare * 100, Unit: "%", Threshold: analyze.Threshold(20), Artifact: "artifacts/pprof/cpu.pb.gz"}},
		},
		{
			ID: "gc_stw/pauses", Analyzer: "gc_stw", Version: "1", Title: "GC pauses are short",
			Severity: analyze.Info, Confidence: 0.9,
			Evidence: []analyze.Evidence{
				{Metric: "gc_cycles", Value: float64(gc.NumGC), Unit: "count", Artifact: "artifacts/gctrace/gctrace.log"},
				{Metric: "max_pause", Value: float64(gc.PauseQuantiles[4]), Unit: "ns", Threshold: analyze.Threshold(float64(10 * time.Millisecond)), Artifact: "artifacts/gctrace/gctrace.log"},
			},
		},
	}
	r.Verdict = analyze.Verdict{
		Cause: analyze.CauseLockWait, Headline: "Lock contention: goroutines wait on store.mu held by main.(*store).put while it hashes",
		Severity: analyze.Critical, Confidence: 0.86, Culprit: culprit, FindingID: "lock_wait/main.(*store).put",
		Chain: []string{
			fmt.Sprintf("%.1f%% of CPU samples are in runtime lock and futex code", lockShare*100),
			fmt.Sprintf("%d goroutines are parked in sync.(*Mutex).Lock under main.(*store).put", waiting),
			"the lock holder spends its critical section in crypto/sha256",
		},
		Secondary: []string{"cpu/crypto-sha256"}, Signature: "lock_wait:main.(*store).put", SignatureVersion: 1,
	}
	r.Inventory = []analyze.Item{
		{Path: "artifacts/bin/store", Kind: "go-binary", Size: 2318336, SHA256: digest([]byte("store")), BuildID: bid, Attrs: map[string]string{"go_version": runtime.Version()}},
		{Path: "artifacts/pprof/cpu.pb.gz", Kind: "pprof", Size: int64(len(p.String())), SHA256: digest([]byte(p.String())), BuildID: bid, Attrs: map[string]string{"sample_types": "samples/count,cpu/nanoseconds"}},
		{Path: "artifacts/goroutines/goroutines.txt", Kind: "goroutine-dump", Size: 4096, SHA256: digest([]byte("goroutines"))},
		{Path: "artifacts/gctrace/gctrace.log", Kind: "gctrace", Size: 8192, SHA256: digest([]byte("gctrace"))},
	}
	r.Analyzers = []analyze.Run{
		{Name: "inventory", Version: "1", Status: "ok"},
		{Name: "cpu", Version: "1", Status: "ok", Used: []string{"artifacts/pprof/cpu.pb.gz"}},
		{Name: "gc_stw", Version: "1", Status: "ok", Used: []string{"artifacts/gctrace/gctrace.log"}},
		{Name: "lock_wait", Version: "1", Status: "ok", Used: []string{"artifacts/goroutines/goroutines.txt", "artifacts/pprof/cpu.pb.gz"}},
		{Name: "netpoll_spin", Version: "1", Status: "ok"},
		{Name: "deadlock", Version: "1", Status: "skipped", Error: "failed prerequisites: goroutines"},
		{Name: "verdict", Version: "1", Status: "ok"},
	}
	r.Warnings = []string{"artifacts/goroutines/goroutines.txt: dump taken while the profile ran; counts are a snapshot"}
}
