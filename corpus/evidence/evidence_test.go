package evidence

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coroner/coroner/bundle"
)

// member returns the bytes of the first artifact of kind k in a frozen
// corpus archive, so fuzz seeds and tests start from real files.
func member(t testing.TB, archive string, k bundle.Kind) []byte {
	t.Helper()
	a, err := bundle.Open(filepath.Join("..", "testdata", archive))
	if err != nil {
		t.Fatalf("frozen archive %s: %v (corpus/scripts/refresh-testdata.sh remakes it)", archive, err)
	}
	arts := a.Manifest().ArtifactsOf(k)
	if len(arts) == 0 {
		t.Fatalf("%s has no %s", archive, k)
	}
	rc, err := a.Open(arts[0])
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseGCTrace(t *testing.T) {
	g, err := ParseGCTrace(strings.NewReader(
		"gc 1 @0.010s 2%: 0.050+1.2+0.030 ms clock, 0.1+0/0/0+0.06 ms cpu, 4->4->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P\n" +
			"unrelated line\n" +
			"gc 2 @0.510s 30%: 2.0+5+1.5 ms clock, 4+1/2/3+3 ms cpu, 4->5->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 2 P\n"))
	if err != nil {
		t.Fatal(err)
	}
	if g.Cycles != 2 || g.CPUPercent != 30 || g.PerSecond() != 2 {
		t.Errorf("%+v (%.1f/s)", g, g.PerSecond())
	}
	if g.Pause.Microseconds() != 3580 || g.MaxPause.Microseconds() != 2000 {
		t.Errorf("pause %v max %v", g.Pause, g.MaxPause)
	}
	real, err := ParseGCTrace(bytes.NewReader(member(t, "healthy.tar.zst", bundle.KindGCTrace)))
	if err != nil || real.Cycles == 0 {
		t.Errorf("real gctrace: %+v, %v", real, err)
	}
}

func TestParseGoroutines(t *testing.T) {
	g, err := ParseGoroutines(bytes.NewReader(member(t, "crash.tar.zst", bundle.KindGoroutineDump)))
	if err != nil {
		t.Fatal(err)
	}
	if g.Panic != "assignment to entry in nil map" || g.Running == 0 || g.Total < 2 {
		t.Errorf("crash dump: %+v", g)
	}
	d, err := ParseGoroutines(bytes.NewReader(member(t, "deadlock.tar.zst", bundle.KindGoroutineDump)))
	if err != nil {
		t.Fatal(err)
	}
	if d.ByState["sync.Mutex.Lock"] < 2 || len(d.IDs["sync.Mutex.Lock"]) != d.ByState["sync.Mutex.Lock"] {
		t.Errorf("deadlock dump: %v", d.ByState)
	}
}

func TestParseTrace(t *testing.T) {
	r, err := ParseTrace(bytes.NewReader(member(t, "healthy.tar.zst", bundle.KindTrace)))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.IDs) == 0 || r.Span <= 0 {
		t.Errorf("healthy trace: %d goroutines ran over %v", len(r.IDs), r.Span)
	}
	if _, err := ParseTrace(strings.NewReader("not a trace")); err == nil {
		t.Error("garbage accepted as a trace")
	}
}

func FuzzParseGCTrace(f *testing.F) {
	f.Add(member(f, "healthy.tar.zst", bundle.KindGCTrace))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := ParseGCTrace(bytes.NewReader(b))
		if err == nil && g.Cycles > bytes.Count(b, []byte("\n"))+1 {
			t.Fatalf("%d cycles from %d lines", g.Cycles, bytes.Count(b, []byte("\n"))+1)
		}
	})
}

func FuzzParseGoroutines(f *testing.F) {
	f.Add(member(f, "crash.tar.zst", bundle.KindGoroutineDump))
	f.Add(member(f, "deadlock.tar.zst", bundle.KindGoroutineDump))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := ParseGoroutines(bytes.NewReader(b))
		if err != nil {
			return
		}
		n := 0
		for _, c := range g.ByState {
			n += c
		}
		if n != g.Total {
			t.Fatalf("states sum to %d, total %d", n, g.Total)
		}
	})
}

func FuzzParseTrace(f *testing.F) {
	tr := member(f, "healthy.tar.zst", bundle.KindTrace)
	f.Add(tr[:min(len(tr), 64<<10)])
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseTrace(bytes.NewReader(b)) // must not panic or hang
	})
}
