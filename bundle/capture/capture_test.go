package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/coroner/coroner/bundle"
)

// targetBin is the test service, built on first use (fuzz workers that
// never need it do not pay for the build).
var (
	targetOnce sync.Once
	targetBin  string
	targetErr  error
	targetDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if targetDir != "" {
		os.RemoveAll(targetDir)
	}
	os.Exit(code)
}

// needTarget builds the test service and returns its path.
func needTarget(t *testing.T) string {
	t.Helper()
	targetOnce.Do(func() {
		if targetDir, targetErr = os.MkdirTemp("", "capture-test-"); targetErr != nil {
			return
		}
		targetBin = filepath.Join(targetDir, "target")
		if out, err := exec.Command("go", "build", "-o", targetBin, "./testdata/target").CombinedOutput(); err != nil {
			targetErr = fmt.Errorf("building the test target: %v\n%s", err, out)
		}
	})
	if targetErr != nil {
		t.Fatal(targetErr)
	}
	return targetBin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startTarget runs the test service as a process coroner did not start.
func startTarget(t *testing.T, args ...string) (*exec.Cmd, string) {
	t.Helper()
	needTarget(t)
	addr := freeAddr(t)
	cmd := exec.Command(targetBin, append([]string{"-addr", addr}, args...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := waitReady(ctx, "http://"+addr+"/debug/pprof/", 10*time.Second, &target{exited: make(chan struct{})}); err != nil {
		t.Fatal(err)
	}
	return cmd, addr
}

func steps(c *bundle.Capture) map[string]bundle.CaptureStep {
	m := map[string]bundle.CaptureStep{}
	for _, s := range c.Steps {
		m[s.Name] = s
	}
	return m
}

func kinds(m *bundle.Manifest) map[bundle.Kind]int {
	k := map[bundle.Kind]int{}
	for _, a := range m.Artifacts {
		k[a.Kind]++
	}
	return k
}

func TestCollectExec(t *testing.T) {
	needTarget(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	res, err := Collect(context.Background(), Options{
		Exec:     []string{targetBin, "-addr", addr},
		Dir:      dir,
		PprofURL: "http://" + addr,
		Duration: 2 * time.Second,
		Core:     CoreNone,
		Output:   filepath.Join(dir, "out.tar.zst"),
		Log:      t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	st := steps(res.Capture)
	for _, n := range []string{"target", "exe", "proc", "pprof", "cpu-profile", "trace", "heap", "allocs", "mutex", "block", "goroutines", "gctrace", "stderr"} {
		if st[n].Status != StatusOK {
			t.Errorf("step %s: %+v", n, st[n])
		}
	}
	if st["environ"].Status != StatusSkipped || st["core"].Status != StatusSkipped {
		t.Errorf("environ/core not skipped: %+v %+v", st["environ"], st["core"])
	}
	if len(res.Capture.Steps) != len(stepOrder) {
		t.Errorf("%d steps recorded, want %d", len(res.Capture.Steps), len(stepOrder))
	}
	for i, s := range res.Capture.Steps {
		if s.Name != stepOrder[i] {
			t.Errorf("step %d is %s, want %s (manifest order must be fixed)", i, s.Name, stepOrder[i])
		}
	}
	if res.Capture.Partial {
		t.Error("capture marked partial")
	}
	if res.Staging != "" {
		t.Errorf("staging %s kept after a successful ingest", res.Staging)
	}
	k := kinds(res.Manifest)
	for _, want := range []bundle.Kind{bundle.KindGoBinary, bundle.KindTrace, bundle.KindGCTrace, bundle.KindGoroutineDump, bundle.KindProcStatus, bundle.KindProcMaps, bundle.KindProcLimits} {
		if k[want] == 0 {
			t.Errorf("no %s artifact; have %v", want, k)
		}
	}
	if res.Manifest.Capture == nil || len(res.Manifest.Capture.Steps) != len(stepOrder) {
		t.Errorf("manifest capture record missing: %+v", res.Manifest.Capture)
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, ".coroner-*")); len(matches) > 0 {
		t.Errorf("left behind %v", matches)
	}
}

func TestCollectTargetDiesMidCapture(t *testing.T) {
	needTarget(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	res, err := Collect(context.Background(), Options{
		Exec:     []string{targetBin, "-addr", addr, "-crash-after", "1500ms"},
		Dir:      dir,
		PprofURL: "http://" + addr,
		Duration: 5 * time.Second,
		Perf:     PerfOff,
		Output:   filepath.Join(dir, "out.tar.zst"),
		Log:      t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Capture.Partial {
		t.Error("capture not marked partial")
	}
	st := steps(res.Capture)
	if s := st["target"]; s.Status != StatusFailed || !strings.Contains(s.Reason, "SIGABRT") {
		t.Errorf("target step %+v, want failed with SIGABRT", s)
	}
	for _, n := range []string{"exe", "proc", "gctrace", "stderr"} {
		if st[n].Status != StatusOK {
			t.Errorf("step %s: %+v (what was captured before the death must be kept)", n, st[n])
		}
	}
	k := kinds(res.Manifest)
	// The traceback is kept as a dump, or as a log when the target
	// printed lines of its own around it; either way sniffing saw the
	// crash in it.
	kept := false
	for _, a := range res.Manifest.Artifacts {
		if (a.Kind == bundle.KindGoroutineDump || a.Kind == bundle.KindLog) && a.Attrs["crash"] != "" {
			kept = true
		}
	}
	if !kept {
		t.Errorf("the crash traceback on stderr was not kept: %v", k)
	}
	pattern, _ := os.ReadFile("/proc/sys/kernel/core_pattern")
	if strings.HasPrefix(string(pattern), "|") {
		if st["core"].Status != StatusFailed || !strings.Contains(st["core"].Reason, "pipes cores") {
			t.Errorf("core step %+v, want the pipe handler named", st["core"])
		}
		return
	}
	if st["core"].Status != StatusOK || k[bundle.KindCore] != 1 {
		t.Errorf("core step %+v, kinds %v: the runtime's core was not collected", st["core"], k)
	}
}

func TestCollectAbortCore(t *testing.T) {
	needTarget(t)
	if p, _ := os.ReadFile("/proc/sys/kernel/core_pattern"); strings.HasPrefix(string(p), "|") {
		t.Skipf("kernel.core_pattern pipes cores to %s; abort cannot be collected from a file", p)
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	res, err := Collect(context.Background(), Options{
		Exec:        []string{targetBin, "-addr", addr},
		Dir:         dir,
		PprofURL:    "http://" + addr,
		Duration:    time.Second,
		Core:        CoreAbort,
		KeepStaging: true,
		Perf:        PerfOff,
		Output:      filepath.Join(dir, "out.tar.zst"),
		Log:         t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	st := steps(res.Capture)
	if st["core"].Status != StatusOK || st["target"].Status != StatusOK || res.Capture.Partial {
		t.Errorf("core %+v target %+v partial %v", st["core"], st["target"], res.Capture.Partial)
	}
	if kinds(res.Manifest)[bundle.KindCore] != 1 {
		t.Errorf("no core artifact")
	}
	if m := st["core"].Method; m != CoreAbort {
		t.Errorf("core step method %q, want %q: analysis must know the capture sent the SIGABRT", m, CoreAbort)
	}
	if b, err := os.ReadFile(filepath.Join(res.Staging, "stderr.log")); err != nil || bytes.Contains(b, []byte("SIGABRT")) {
		t.Errorf("stderr.log (%v): the traceback coroner's own SIGABRT causes must not be kept as the target's output:\n%.300s", err, b)
	}
}

func TestCollectGcoreKeepsProcessAlive(t *testing.T) {
	if _, err := exec.LookPath("gcore"); err != nil {
		t.Skip("gcore (gdb) not installed")
	}
	cmd, addr := startTarget(t)
	dir := t.TempDir()
	res, err := Collect(context.Background(), Options{
		PID:      cmd.Process.Pid,
		PprofURL: "http://" + addr + "/debug/pprof/",
		Duration: time.Second,
		Perf:     PerfOff,
		Output:   filepath.Join(dir, "out.tar.zst"),
		Log:      t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := steps(res.Capture); st["core"].Status != StatusOK {
		t.Errorf("core step %+v", st["core"])
	}
	if !alive(cmd.Process.Pid) {
		t.Error("gcore killed the target")
	}
	st := steps(res.Capture)
	if st["gctrace"].Status != StatusSkipped || st["target"].Status != StatusOK {
		t.Errorf("gctrace %+v target %+v", st["gctrace"], st["target"])
	}
}

func TestCollectNoSuchProcess(t *testing.T) {
	needTarget(t)
	cmd := exec.Command(targetBin, "-h")
	_ = cmd.Run() // exits at once; its PID is now free
	dir := t.TempDir()
	_, err := Collect(context.Background(), Options{PID: cmd.Process.Pid, Output: filepath.Join(dir, "x.tar.zst")})
	if !errors.Is(err, ErrTarget) || !strings.Contains(err.Error(), "no process with PID") {
		t.Fatalf("err = %v", err)
	}
	assertEmpty(t, dir)
}

func TestCollectNotGo(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep(1)")
	}
	cmd := exec.Command(sleep, "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	dir := t.TempDir()
	_, err = Collect(context.Background(), Options{PID: cmd.Process.Pid, Output: filepath.Join(dir, "x.tar.zst")})
	if !errors.Is(err, ErrTarget) || !strings.Contains(err.Error(), "not a Go program") {
		t.Fatalf("--pid: err = %v", err)
	}
	_, err = Collect(context.Background(), Options{Exec: []string{sleep, "1"}, Output: filepath.Join(dir, "x.tar.zst")})
	if !errors.Is(err, ErrTarget) || !strings.Contains(err.Error(), "not a Go program") {
		t.Fatalf("--exec: err = %v", err)
	}
	assertEmpty(t, dir)
}

func TestCollectBadPprofURL(t *testing.T) {
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<html>welcome</html>"))
	}))
	defer html.Close()
	closed := freeAddr(t)
	cmd, _ := startTarget(t)
	for _, tc := range []struct{ url, want string }{
		{html.URL, "does not serve Go net/http/pprof"},
		{"http://" + closed, "unreachable"},
	} {
		dir := t.TempDir()
		res, err := Collect(context.Background(), Options{
			PID: cmd.Process.Pid, PprofURL: tc.url, Duration: time.Second,
			Core: CoreNone, Perf: PerfOff, Output: filepath.Join(dir, "out.tar.zst"), Log: t.Logf,
		})
		if err != nil {
			t.Fatalf("%s: %v", tc.url, err)
		}
		st := steps(res.Capture)
		if st["pprof"].Status != StatusFailed || !strings.Contains(st["pprof"].Reason, tc.want) {
			t.Errorf("%s: pprof step %+v, want failed with %q", tc.url, st["pprof"], tc.want)
		}
		if st["cpu-profile"].Status != StatusSkipped || st["exe"].Status != StatusOK {
			t.Errorf("%s: cpu-profile %+v exe %+v", tc.url, st["cpu-profile"], st["exe"])
		}
		if kinds(res.Manifest)[bundle.KindGoBinary] != 1 {
			t.Errorf("%s: executable not kept", tc.url)
		}
	}
}

func TestCollectWithoutPerfOrGcore(t *testing.T) {
	needTarget(t)
	t.Setenv("PATH", t.TempDir())
	dir := t.TempDir()
	addr := freeAddr(t)
	res, err := Collect(context.Background(), Options{
		Exec: []string{targetBin, "-addr", addr}, Dir: dir, PprofURL: "http://" + addr,
		Duration: time.Second, Output: filepath.Join(dir, "out.tar.zst"), Log: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	st := steps(res.Capture)
	if s := st["perf"]; s.Status != StatusSkipped || !strings.Contains(s.Reason, "perf not installed") {
		t.Errorf("perf step %+v", s)
	}
	if s := st["core"]; s.Status != StatusSkipped || !strings.Contains(s.Reason, "gcore not installed") {
		t.Errorf("core step %+v", s)
	}
	if st["cpu-profile"].Status != StatusOK {
		t.Errorf("cpu-profile %+v", st["cpu-profile"])
	}
}

// TestCollectDiskFull writes to a 1 MiB tmpfs: the capture must fail with
// a clear message and keep everything it managed to write.
func TestCollectDiskFull(t *testing.T) {
	needTarget(t)
	mnt := t.TempDir()
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (needs root): %v", err)
	}
	t.Cleanup(func() { unix.Unmount(mnt, unix.MNT_DETACH) })
	addr := freeAddr(t)
	res, err := Collect(context.Background(), Options{
		Exec: []string{targetBin, "-addr", addr}, Dir: t.TempDir(), PprofURL: "http://" + addr,
		Duration: time.Second, Core: CoreNone, Perf: PerfOff, NoKallsyms: true,
		Output: filepath.Join(mnt, "out.tar.zst"), Log: t.Logf,
	})
	if err == nil {
		t.Fatal("no error writing to a full disk")
	}
	if !strings.Contains(err.Error(), "no space left on device") || !strings.Contains(err.Error(), "kept in") {
		t.Errorf("error %q does not say the disk is full and where the files are", err)
	}
	if res == nil || res.Staging == "" {
		t.Fatal("no staging directory reported")
	}
	for _, f := range []string{"proc.status", "capture-steps.txt"} {
		if _, err := os.Stat(filepath.Join(res.Staging, f)); err != nil {
			t.Errorf("captured file lost: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(mnt, "out.tar.zst")); err == nil {
		t.Error("a partial archive was left under the output name")
	}
	if st := steps(res.Capture); st["exe"].Status != StatusFailed || !strings.Contains(st["exe"].Reason, "no space") {
		t.Errorf("exe step %+v", st["exe"])
	}
}

func TestOptionsRejected(t *testing.T) {
	for _, o := range []Options{
		{Output: "x"},
		{PID: 1, Exec: []string{"x"}, Output: "x"},
		{PID: 1},
		{PID: 1, Output: "x", Core: "dump"},
		{PID: 1, Output: "x", Perf: "on"},
		{PID: 1, Output: "x", PprofURL: "ftp://host"},
		{PID: 1, Output: "x", Duration: -time.Second},
	} {
		if _, err := Collect(context.Background(), o); !errors.Is(err, ErrUsage) {
			t.Errorf("%+v: err = %v, want a usage error", o, err)
		}
	}
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	if ents, _ := os.ReadDir(dir); len(ents) > 0 {
		t.Errorf("left files behind in %s: %v", dir, ents)
	}
}

func TestCollectInterruptedStillArchives(t *testing.T) {
	needTarget(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(1500*time.Millisecond, cancel)
	res, err := Collect(ctx, Options{
		Exec: []string{targetBin, "-addr", addr}, Dir: dir, PprofURL: "http://" + addr,
		Duration: time.Minute, Core: CoreNone, Perf: PerfOff,
		Output: filepath.Join(dir, "out.tar.zst"), Log: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Capture.Partial || kinds(res.Manifest)[bundle.KindGoBinary] != 1 {
		t.Errorf("partial %v, kinds %v", res.Capture.Partial, kinds(res.Manifest))
	}
}

// TestCollectPIDDiesMidCapture: a process coroner did not start dies in
// the window; its death is noticed by polling, what was captured is kept,
// and the missing core is explained.
func TestCollectPIDDiesMidCapture(t *testing.T) {
	cmd, addr := startTarget(t, "-crash-after", "1500ms")
	dir := t.TempDir()
	res, err := Collect(context.Background(), Options{
		PID: cmd.Process.Pid, PprofURL: "http://" + addr, Duration: 5 * time.Second,
		Perf: PerfOff, Output: filepath.Join(dir, "out.tar.zst"), Log: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	st := steps(res.Capture)
	if !res.Capture.Partial || st["target"].Status != StatusFailed {
		t.Errorf("partial %v, target %+v", res.Capture.Partial, st["target"])
	}
	if st["exe"].Status != StatusOK || kinds(res.Manifest)[bundle.KindGoBinary] != 1 {
		t.Errorf("executable captured before the death was lost: %+v", st["exe"])
	}
	if c := st["core"]; c.Status == StatusOK {
		t.Logf("core found: %+v", c)
	} else if !strings.Contains(c.Reason, "core") {
		t.Errorf("core step %+v does not explain the missing core", c)
	}
}

// TestCollectExecExitsAtOnce: a target that fails at start-up still gives
// an archive with its executable, its stderr and why nothing else came.
func TestCollectExecExitsAtOnce(t *testing.T) {
	needTarget(t)
	dir := t.TempDir()
	res, err := Collect(context.Background(), Options{
		Exec: []string{targetBin, "-addr", "not-an-address"}, Dir: dir, PprofURL: "http://127.0.0.1:1",
		Duration: 2 * time.Second, Perf: PerfOff, Output: filepath.Join(dir, "out.tar.zst"), Log: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	st := steps(res.Capture)
	if !res.Capture.Partial || !strings.Contains(st["pprof"].Reason, "exit status 1") {
		t.Errorf("partial %v, pprof %+v", res.Capture.Partial, st["pprof"])
	}
	if st["exe"].Status != StatusOK || st["stderr"].Status != StatusOK {
		t.Errorf("exe %+v stderr %+v", st["exe"], st["stderr"])
	}
}
