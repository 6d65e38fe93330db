package gocore

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/go-delve/delve/pkg/goversion"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/elfcore"
	"github.com/coroner/coroner/internal/testcore"
)

// TestOperatorAbortInPlace: the core of a healthy GOTRACEBACK=crash
// process an operator sent SIGABRT (kill -ABRT) is a requested dump, found
// from the core alone — the outermost signal frame's siginfo names this
// test as the sender — and read where it lies in the archive, like a
// snapshot; delve's census of the extracted core agrees.
func TestOperatorAbortInPlace(t *testing.T) {
	testcore.CheckCoreDumps(t)
	exe := testcore.BuildIn(t, tmpDir, busySrc)
	// Goroutines keep spinning on threads, so the signal may land on a
	// thread running user code as well as on an idle one.
	p := testcore.StartCoreDumping(t, exe, "ready", "GOTRACEBACK=crash", "GOMAXPROCS=4")
	pid := p.Cmd.Process.Pid
	p.Kill(t, syscall.SIGABRT)
	core := p.FindCore(t)

	path := ingestCore(t, core, exe)
	t.Setenv("CORONER_CACHE_DIR", t.TempDir())
	a, err := bundle.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	art := a.Manifest().ArtifactsOf(bundle.KindCore)[0]
	got, err := ArchiveCensus(context.Background(), a, art, exe, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Reader != directReader {
		t.Errorf("census read by %q, want in place by %q", got.Reader, directReader)
	}
	r := got.Requested
	if got.Crash != nil || r == nil || r.Signal != "SIGABRT" || r.Code != "SI_USER (0)" || r.SenderPID != os.Getpid() || r.PID != pid {
		t.Fatalf("crash %+v, requested %+v; want SIGABRT SI_USER from pid %d to pid %d", got.Crash, r, os.Getpid(), pid)
	}
	t.Logf("evidence: %s", r.Evidence)
	filepath.WalkDir(os.Getenv("CORONER_CACHE_DIR"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if st, err := os.Stat(p); err == nil && st.Size() == art.Size {
				t.Errorf("the core was extracted to %s", p)
			}
		}
		return nil
	})

	want, err := Census(context.Background(), core, exe, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want.Crash != nil || want.Requested == nil || want.Requested.SenderPID != os.Getpid() {
		t.Errorf("delve's census: crash %+v, requested %+v", want.Crash, want.Requested)
	}
	matchByID(t, got, want, false)
}

// TestCrashOriginIsSelf: in the core of a real panic under
// GOTRACEBACK=crash the signal that began the end is the runtime's own
// SIGABRT (tgkill from the process itself), so it is no requested dump
// even apart from the panicking goroutine; the census reads the panic.
func TestCrashOriginIsSelf(t *testing.T) {
	testcore.CheckCoreDumps(t)
	exe := testcore.BuildIn(t, tmpDir, crashSrcForDirect)
	core, _ := testcore.CrashIn(t, tmpDir, exe, "GOTRACEBACK=crash")
	f, size, err := bundle.OpenSized(core)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, err := elfcore.Parse(f, size)
	if err != nil {
		t.Fatal(err)
	}
	gover, _ := goversion.Parse("go1.26")
	res, err := fastCensusAt(f, size, exe, gover, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	o := res.origin
	if o == nil || o.frames != 1 || o.first.Signo != sigABRT || o.first.Code != -6 || o.first.PID != info.PID {
		t.Fatalf("origin %+v, want one signal frame: SIGABRT SI_TKILL from the process itself (pid %d)", o, info.PID)
	}
	req, why := requestedDump(info, res, nil)
	if req != nil || !strings.Contains(why, "not sent from outside") {
		t.Errorf("requested %+v (%s)", req, why)
	}
	if len(res.panicking) == 0 {
		t.Errorf("no goroutine's g shows the panic")
	}
	c, err := fileCensus(core, core, exe)
	if err != nil {
		t.Fatalf("direct census of a crash core: %v", err)
	}
	if c.Requested != nil || c.Crash == nil || c.Crash.Kind != "panic" || c.Crash.Message != "assignment to entry in nil map" {
		t.Errorf("crash %+v, requested %+v", c.Crash, c.Requested)
	}
}

// TestTerminalQuitCore: Ctrl-\ typed on the terminal of a
// GOTRACEBACK=crash process is a SIGQUIT the kernel's terminal driver
// sends (SI_KERNEL, no sender PID): a requested dump, found from the core.
func TestTerminalQuitCore(t *testing.T) {
	testcore.CheckCoreDumps(t)
	exe := testcore.BuildIn(t, tmpDir, busySrc)
	_, dir := testcore.QuitFromTerminal(t, exe, "ready", "GOTRACEBACK=crash", "GOMAXPROCS=4")
	core := testcore.FindCoreIn(t, dir)
	got, err := fileCensus(core, core, exe)
	if err != nil {
		t.Fatalf("a requested core: %v", err)
	}
	if r := got.Requested; got.Crash != nil || r == nil || r.Signal != "SIGQUIT" || r.Code != "SI_KERNEL (0x80)" || r.SenderPID != -1 {
		t.Errorf("crash %+v, requested %+v", got.Crash, r)
	} else {
		t.Logf("evidence: %s", r.Evidence)
	}
}
