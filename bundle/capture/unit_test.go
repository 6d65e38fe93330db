package capture

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/gctrace"
)

func TestFindCore(t *testing.T) {
	dir := t.TempDir()
	start := time.Now()
	old := filepath.Join(dir, "core")
	os.WriteFile(old, []byte("old"), 0o644)
	os.Chtimes(old, start.Add(-time.Hour), start.Add(-time.Hour))
	for _, tc := range []struct {
		pattern string
		usesPID bool
		file    string // created; "" for none
		want    bool
	}{
		{"core", false, "", false}, // only a stale core
		{"core", true, "core.4242", true},
		{"core.%p", false, "core.4242", true},
		{"core-%e-%p-%t", false, "core-worker-4242-1700000000", true},
		{"core-%e.%p", false, "core-other.4242", false},
		{filepath.Join(dir, "abs", "%e.core"), false, filepath.Join("abs", "worker.core"), true},
		{"core[1]", false, "core[1]", true},
	} {
		if tc.file != "" {
			p := filepath.Join(dir, tc.file)
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte("x"), 0o644)
		}
		got, err := findCore(tc.pattern, tc.usesPID, dir, 4242, "worker", start)
		if (err == nil) != tc.want {
			t.Errorf("pattern %q: got %q, %v", tc.pattern, got, err)
		}
		if err == nil && got != filepath.Join(dir, tc.file) {
			t.Errorf("pattern %q: got %q, want %q", tc.pattern, got, tc.file)
		}
		if tc.file != "" {
			os.Remove(filepath.Join(dir, tc.file))
		}
	}
	if _, err := findCore("core", false, "", 1, "x", start); err == nil || !strings.Contains(err.Error(), "relative") {
		t.Errorf("relative pattern without cwd: %v", err)
	}
}

func TestTargetEnv(t *testing.T) {
	got := targetEnv([]string{"A=1", "GODEBUG=madvdontneed=1", "GOTRACEBACK=none"})
	want := []string{"A=1", "GODEBUG=madvdontneed=1,gctrace=1", "GOTRACEBACK=crash"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got %v, want %v", got, want)
	}
	got = targetEnv([]string{"GODEBUG="})
	if strings.Join(got, " ") != "GODEBUG=gctrace=1 GOTRACEBACK=crash" {
		t.Errorf("got %v", got)
	}
}

func TestPprofBase(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:6060":                 "http://127.0.0.1:6060/debug/pprof/",
		"http://h:1/debug/pprof":                "http://h:1/debug/pprof/",
		"https://h/admin/debug/pprof/?x=1#frag": "https://h/admin/debug/pprof/",
		"http://h/svc/":                         "http://h/svc/debug/pprof/",
	} {
		got, err := pprofBase(in)
		if err != nil || got != want {
			t.Errorf("pprofBase(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"127.0.0.1:6060", "file:///x", "http://", "::"} {
		if _, err := pprofBase(bad); err == nil {
			t.Errorf("pprofBase(%q) accepted", bad)
		}
	}
}

// realStderr returns what a crashing target really printed: the frozen
// crash archive's gctrace and traceback, interleaved as the runtime wrote
// them (gctrace first, then the crash).
func realStderr(t testing.TB) []byte {
	a, err := bundle.Open(filepath.Join("..", "..", "corpus", "testdata", "crash.tar.zst"))
	if err != nil {
		t.Fatalf("frozen crash archive: %v (corpus/scripts/refresh-testdata.sh remakes it)", err)
	}
	var buf bytes.Buffer
	for _, k := range []bundle.Kind{bundle.KindGCTrace, bundle.KindGoroutineDump} {
		for _, art := range a.Manifest().ArtifactsOf(k) {
			rc, err := a.Open(art)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(&buf, rc)
			rc.Close()
		}
	}
	return buf.Bytes()
}

func splitAll(t testing.TB, in []byte, chunk int) (gc, rest []byte) {
	dir := t.TempDir()
	s, err := newLineSplitter(dir)
	if err != nil {
		t.Fatal(err)
	}
	for p := in; len(p) > 0; {
		n := min(chunk, len(p))
		s.Write(p[:n])
		p = p[n:]
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	gc, _ = os.ReadFile(filepath.Join(dir, "gctrace.log"))
	rest, _ = os.ReadFile(filepath.Join(dir, "stderr.log"))
	return gc, rest
}

func TestLineSplitter(t *testing.T) {
	in := realStderr(t)
	for _, chunk := range []int{1, 7, 4096, len(in)} {
		gc, rest := splitAll(t, in, chunk)
		if !bytes.HasPrefix(gc, []byte("gc 1 @")) || bytes.Contains(rest, []byte("\ngc 1 @")) {
			t.Errorf("chunk %d: gctrace lines not separated", chunk)
		}
		if !bytes.HasPrefix(rest, []byte("panic: ")) {
			t.Errorf("chunk %d: traceback does not start the rest: %.40q", chunk, rest)
		}
		if len(gc)+len(rest) != len(in) {
			t.Errorf("chunk %d: %d+%d bytes out of %d in", chunk, len(gc), len(rest), len(in))
		}
	}
}

func FuzzLineSplitter(f *testing.F) {
	f.Add(realStderr(f), 5)
	f.Add([]byte("gc 1 @0.1s 1%: x\npartial"), 3)
	f.Fuzz(func(t *testing.T, in []byte, chunk int) {
		if chunk <= 0 || chunk > len(in)+1 {
			chunk = len(in) + 1
		}
		gc, rest := splitAll(t, in, chunk)
		extra := 0
		if len(in) > 0 && in[len(in)-1] != '\n' {
			extra = 1 // Close terminates a trailing partial line
		}
		if len(gc)+len(rest) != len(in)+extra {
			t.Fatalf("%d+%d bytes out of %d in", len(gc), len(rest), len(in))
		}
		for _, l := range bytes.SplitAfter(gc, []byte("\n")) {
			if len(l) > 0 && !gctrace.Opens(l) {
				t.Fatalf("non-gctrace line %q in gctrace output", l)
			}
		}
	})
}
