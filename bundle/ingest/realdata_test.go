package ingest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coroner/coroner/bundle"
)

// incident holds real artifacts taken from testdata/incidentprog at test
// time, in one directory.
type incident struct {
	dir   string
	files map[string]bool // names present in dir
	notes []string        // why something is missing
}

var (
	incidentOnce sync.Once
	incidentVal  *incident
	incidentErr  error
	incidentRoot string // removed by TestMain
)

// realIncident builds and runs the test program once per test binary and
// collects its artifacts: the executable, CPU and heap profiles, a trace
// and a goroutine dump from net/http/pprof, a gctrace log, perf.data when
// perf works here, and a core written by the runtime (or by gcore).
func realIncident(t testing.TB) *incident {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go toolchain not found: cannot build the test program")
	}
	incidentOnce.Do(func() { incidentVal, incidentErr = makeIncident() })
	if incidentErr != nil {
		t.Fatalf("making a real incident: %v", incidentErr)
	}
	for _, n := range incidentVal.notes {
		t.Log(n)
	}
	return incidentVal
}

func makeIncident() (*incident, error) {
	root, err := os.MkdirTemp("", "coroner-incident-")
	if err != nil {
		return nil, err
	}
	incidentRoot = root
	inc := &incident{dir: filepath.Join(root, "in"), files: map[string]bool{}}
	if err := os.Mkdir(inc.dir, 0o755); err != nil {
		return nil, err
	}
	exe := filepath.Join(inc.dir, "incidentprog")
	build := exec.Command("go", "build", "-trimpath", "-o", exe, "./testdata/incidentprog")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %v\n%s", err, out)
	}
	inc.files["incidentprog"] = true
	work := filepath.Join(root, "work")
	os.Mkdir(work, 0o755)
	stderr, err := os.Create(filepath.Join(work, "stderr.log"))
	if err != nil {
		return nil, err
	}
	defer stderr.Close()
	cmd := exec.Command(exe)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "GOTRACEBACK=crash", "GODEBUG=gctrace=1")
	cmd.Stderr = stderr
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("reading the program's address: %v", err)
	}
	base := "http://" + strings.TrimSpace(line)
	var perf *exec.Cmd
	if _, err := exec.LookPath("perf"); err == nil {
		perf = exec.Command("perf", "record", "-g", "-o", "perf.data", "-p", fmt.Sprint(cmd.Process.Pid), "--", "sleep", "1")
		perf.Dir = work
		if err := perf.Start(); err != nil {
			inc.notes = append(inc.notes, fmt.Sprintf("perf record did not start: %v", err))
			perf = nil
		}
	} else {
		inc.notes = append(inc.notes, "perf not installed: no perf.data")
	}
	for name, url := range map[string]string{
		"cpu.pprof":      "/debug/pprof/profile?seconds=1",
		"heap.pprof":     "/debug/pprof/heap",
		"trace.out":      "/debug/pprof/trace?seconds=1",
		"goroutines.txt": "/debug/pprof/goroutine?debug=2",
	} {
		if err := fetch(base+url, filepath.Join(inc.dir, name)); err != nil {
			return nil, err
		}
		inc.files[name] = true
	}
	if perf != nil {
		if err := perf.Wait(); err != nil {
			inc.notes = append(inc.notes, fmt.Sprintf("perf record failed: %v", err))
		} else if err := os.Rename(filepath.Join(work, "perf.data"), filepath.Join(inc.dir, "perf.data")); err == nil {
			inc.files["perf.data"] = true
		}
	}
	// The gctrace log is stderr before the crash.
	if err := copyFile(stderr.Name(), filepath.Join(inc.dir, "gctrace.log")); err != nil {
		return nil, err
	}
	inc.files["gctrace.log"] = true
	if !strings.HasPrefix(readTrim("/proc/sys/kernel/core_pattern"), "|") {
		http.Get(base + "/crash")
		cmd.Wait()
		if p := findCore(work); p != "" {
			os.Rename(p, filepath.Join(inc.dir, "core"))
			inc.files["core"] = true
		}
		copyFile(stderr.Name(), filepath.Join(inc.dir, "crash.log"))
		inc.files["crash.log"] = true
	}
	if !inc.files["core"] {
		if err := gcoreFallback(exe, work, inc); err != nil {
			inc.notes = append(inc.notes, err.Error())
		}
	}
	return inc, nil
}

// gcoreFallback runs the program again and takes its core with gcore.
func gcoreFallback(exe, work string, inc *incident) error {
	if _, err := exec.LookPath("gcore"); err != nil {
		return fmt.Errorf("no core: the kernel wrote none and gcore is not installed")
	}
	cmd := exec.Command(exe)
	cmd.Dir = work
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	bufio.NewReader(out).ReadString('\n')
	prefix := filepath.Join(work, "gcore")
	if b, err := exec.Command("gcore", "-o", prefix, fmt.Sprint(cmd.Process.Pid)).CombinedOutput(); err != nil {
		return fmt.Errorf("no core: gcore failed: %v: %s", err, b)
	}
	return os.Rename(fmt.Sprintf("%s.%d", prefix, cmd.Process.Pid), filepath.Join(inc.dir, "core"))
}

func findCore(dir string) string {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Name() == "core" || strings.HasPrefix(e.Name(), "core.") {
			return filepath.Join(dir, e.Name())
		}
	}
	return ""
}

func readTrim(p string) string {
	b, _ := os.ReadFile(p)
	return strings.TrimSpace(string(b))
}

func fetch(url, dest string) error {
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.Create(dest)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

func TestRealIncidentRoundTrip(t *testing.T) {
	inc := realIncident(t)
	out := filepath.Join(t.TempDir(), "inc.tar.zst")
	m, err := Run(context.Background(), Options{Inputs: []string{inc.dir}, Output: out})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bundle.Kind{
		"incidentprog": bundle.KindGoBinary, "cpu.pprof": bundle.KindPprof, "heap.pprof": bundle.KindPprof,
		"trace.out": bundle.KindTrace, "goroutines.txt": bundle.KindGoroutineDump, "gctrace.log": bundle.KindGCTrace,
		"perf.data": bundle.KindPerfData, "core": bundle.KindCore, "crash.log": bundle.KindLog,
	}
	got := map[string]bundle.Artifact{}
	for _, a := range m.Artifacts {
		got[a.Original] = a
	}
	for name := range inc.files {
		a, ok := got[name]
		if !ok {
			t.Errorf("%s: not in the manifest", name)
			continue
		}
		if a.Kind != want[name] {
			t.Errorf("%s: kind %s, want %s (attrs %v)", name, a.Kind, want[name], a.Attrs)
		}
	}
	checkAttr := func(name, key, wantSub string) {
		t.Helper()
		if a, ok := got[name]; ok && !strings.Contains(a.Attrs[key], wantSub) {
			t.Errorf("%s: attr %s = %q, want it to contain %q", name, key, a.Attrs[key], wantSub)
		}
	}
	checkAttr("incidentprog", "go_version", "go1.")
	checkAttr("incidentprog", "path", "incidentprog")
	checkAttr("incidentprog", "dwarf", "true")
	checkAttr("incidentprog", "goarch", "amd64")
	checkAttr("cpu.pprof", "sample_types", "cpu/nanoseconds")
	checkAttr("cpu.pprof", "profile_type", "cpu")
	checkAttr("heap.pprof", "profile_type", "heap")
	checkAttr("trace.out", "trace_version", "1.")
	checkAttr("crash.log", "crash", "assignment to entry in nil map")
	checkAttr("crash.log", "log_format", "plain")
	checkAttr("crash.log", "tracebacks", "1")
	checkAttr("core", "exe", "incidentprog")
	if got["incidentprog"].Attrs["build_id"] != "" && got["core"].Attrs["build_id"] != "" {
		checkAttr("core", "build_id", got["incidentprog"].Attrs["build_id"])
	}
	if m.Time.IsZero() {
		t.Error("manifest has no incident time, though the profiles carry one")
	}
	if err := bundle.Verify(out); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if !bundle.IsArchive(out) {
		t.Error("IsArchive = false for a fresh archive")
	}
	dir := t.TempDir()
	if err := bundle.Extract(out, dir, nil); err != nil {
		t.Fatal(err)
	}
	for _, a := range m.Artifacts {
		orig, _ := os.ReadFile(filepath.Join(inc.dir, a.Original))
		ext, err := os.ReadFile(filepath.Join(dir, a.Path))
		if err != nil || !bytes.Equal(orig, ext) {
			t.Errorf("%s: extracted copy differs from %s (err %v)", a.Path, a.Original, err)
		}
	}
	// Same inputs, same bytes.
	out2 := filepath.Join(t.TempDir(), "again.tar.zst")
	if _, err := Run(context.Background(), Options{Inputs: []string{inc.dir}, Output: out2}); err != nil {
		t.Fatal(err)
	}
	b1, _ := os.ReadFile(out)
	b2, _ := os.ReadFile(out2)
	if !bytes.Equal(b1, b2) {
		t.Error("two ingests of the same inputs differ")
	}
	// Stock tar lists it.
	if _, err := exec.LookPath("zstd"); err == nil {
		list, err := exec.Command("tar", "--zstd", "-tf", out).Output()
		if err != nil {
			t.Errorf("tar --zstd -tf: %v", err)
		} else if lines := strings.Fields(string(list)); lines[0] != bundle.ManifestName || lines[len(lines)-1] != bundle.TrailerName {
			t.Errorf("tar lists %v; want manifest first and trailer last", lines)
		}
	}
}
