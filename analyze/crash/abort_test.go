package crash

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/testcore"
)

// endsSrc is a service that ends the way MODE says: a panic, a runtime
// fatal error, a nil dereference, or (empty) it stays healthy until
// someone signals it.
const endsSrc = `package main

import (
	"fmt"
	"os"
	"time"
)

type conf struct{ limit *int }

//go:noinline
func (c *conf) max() int { return *c.limit }

//go:noinline
func handle(req int) { panic(fmt.Sprintf("bad request %d", req)) }

func main() {
	for i := 0; i < 4; i++ {
		go func() { time.Sleep(time.Hour) }()
	}
	switch os.Getenv("MODE") {
	case "panic":
		go handle(42)
	case "fatal":
		m := map[int]int{}
		for i := 0; i < 2; i++ {
			go func() {
				for j := 0; ; j++ {
					m[j%64] = j
				}
			}()
		}
	case "nil":
		go func() { var c conf; fmt.Println(c.max()) }()
	}
	fmt.Println("ready")
	time.Sleep(time.Hour)
}
`

// end is one way endsSrc ended: its core and what it printed.
type end struct {
	exe, core, log string
}

// files are the artifacts an incident of e holds: the core with its
// binary, and the runtime's output; or only the output.
func (e end) files(withCore bool) []analyzetest.File {
	log := []analyzetest.File{{Disk: e.log, Kind: bundle.KindGoroutineDump}}
	if !withCore {
		return log
	}
	return append(log, analyzetest.File{Disk: e.exe, Kind: bundle.KindGoBinary}, analyzetest.File{Disk: e.core, Kind: bundle.KindCore})
}

// writeLog stores the runtime's output beside the core.
func writeLog(t *testing.T, dir string, stderr []byte) string {
	t.Helper()
	log := filepath.Join(dir, "stderr.log")
	if err := os.WriteFile(log, stderr, 0o644); err != nil {
		t.Fatal(err)
	}
	return log
}

// signalled runs exe healthy under GOTRACEBACK=crash and sends it sig as
// an operator would.
func signalled(t *testing.T, exe string, sig syscall.Signal) end {
	testcore.CheckCoreDumps(t)
	p := testcore.StartCoreDumping(t, exe, "ready", "GOTRACEBACK=crash")
	time.Sleep(200 * time.Millisecond) // let main park in time.Sleep
	stderr := p.Kill(t, sig)
	core := p.FindCore(t)
	return end{exe: exe, core: core, log: writeLog(t, filepath.Dir(core), stderr)}
}

// crashed runs exe in mode under GOTRACEBACK=crash until it crashes.
func crashed(t *testing.T, exe, mode string) end {
	core, stderr := testcore.Crash(t, exe, "MODE="+mode)
	return end{exe: exe, core: core, log: writeLog(t, filepath.Dir(core), stderr)}
}

// analyse analyses files (with the capture manifest capt, when set) and
// returns the crash analyzer's findings.
func analyse(t *testing.T, files []analyzetest.File, capt *bundle.Capture) []analyze.Finding {
	t.Helper()
	src, err := analyzetest.NewDirSource("ending", files)
	if err != nil {
		t.Fatal(err)
	}
	if capt != nil {
		src.SetCapture(capt)
	}
	r := analyzetest.Run(t, src, Analyzer)
	return analyzetest.FindingsOf(r, "crash")
}

// wantRequested checks that fs is one informational finding about a dump
// requested with sig, whose evidence names it and the sigcode.
func wantRequested(t *testing.T, name string, fs []analyze.Finding, sig string) {
	t.Helper()
	if len(fs) != 1 || fs[0].ID != requestedID || fs[0].Cause != "" || fs[0].Severity != analyze.Info {
		t.Errorf("%s: want one informational %s finding, got %+v", name, requestedID, fs)
		return
	}
	if !strings.Contains(fs[0].Title, sig+" from outside") {
		t.Errorf("%s: title %q", name, fs[0].Title)
	}
	var notes []string
	for _, e := range fs[0].Evidence {
		notes = append(notes, e.Text, e.Note)
	}
	all := strings.Join(notes, "\n")
	if !strings.Contains(all, "SI_USER (0)") || !strings.Contains(all, "no goroutine in panic or throw") {
		t.Errorf("%s: evidence does not show the sigcode or the absence of a panic:\n%s", name, all)
	}
	t.Logf("%s: %s\n%s", name, fs[0].Title, all)
}

// wantCrash checks that fs is one critical crash finding whose title
// holds title.
func wantCrash(t *testing.T, name string, fs []analyze.Finding, title string) {
	t.Helper()
	if len(fs) != 1 || fs[0].Cause != analyze.CauseCrash || fs[0].Severity != analyze.Critical {
		t.Errorf("%s: want one crash finding, got %+v", name, fs)
		return
	}
	if !strings.Contains(fs[0].Title, title) {
		t.Errorf("%s: title %q, want it to hold %q", name, fs[0].Title, title)
	}
}

// TestOperatorAbort: a healthy GOTRACEBACK=crash service that an operator
// sends SIGABRT (kill -ABRT, the usual way to take a core of a live
// process) did not crash, whether its core or only its output is at hand,
// and with no capture manifest saying anything.
func TestOperatorAbort(t *testing.T) {
	e := signalled(t, testcore.Build(t, endsSrc), syscall.SIGABRT)
	wantRequested(t, "core and output", analyse(t, e.files(true), nil), "SIGABRT")
	wantRequested(t, "output alone", analyse(t, e.files(false), nil), "SIGABRT")
	core := analyse(t, []analyzetest.File{e.files(true)[1], e.files(true)[2]}, nil)
	wantRequested(t, "core alone", core, "SIGABRT")
	if len(core) == 1 && !strings.Contains(core[0].Evidence[0].Text, fmt.Sprintf("sent by pid %d", os.Getpid())) {
		t.Errorf("core alone: the evidence does not name the sender (this test, pid %d): %s", os.Getpid(), core[0].Evidence[0].Text)
	}
	// The capture's manifest, when there is one, only adds certainty.
	capture := &bundle.Capture{Steps: []bundle.CaptureStep{{Name: "core", Status: "ok", Method: "abort"}}}
	withManifest := analyse(t, []analyzetest.File{e.files(true)[1], e.files(true)[2]}, capture)
	wantRequested(t, "core and manifest", withManifest, "SIGABRT")
	if len(withManifest) == 1 && len(core) == 1 && withManifest[0].Confidence <= core[0].Confidence {
		t.Errorf("the manifest's agreement did not raise the confidence: %v, %v", withManifest[0].Confidence, core[0].Confidence)
	}
}

// TestOperatorQuit: SIGQUIT under GOTRACEBACK=crash (core and output)
// and under the default GOTRACEBACK (output only; the process exits 2) is
// a dump someone asked for.
func TestOperatorQuit(t *testing.T) {
	exe := testcore.Build(t, endsSrc)
	e := signalled(t, exe, syscall.SIGQUIT)
	wantRequested(t, "core and output", analyse(t, e.files(true), nil), "SIGQUIT")
	wantRequested(t, "output alone", analyse(t, e.files(false), nil), "SIGQUIT")

	p := testcore.Start(t, exe, "ready")
	time.Sleep(200 * time.Millisecond)
	log := writeLog(t, t.TempDir(), p.Quit(t))
	wantRequested(t, "default GOTRACEBACK", analyse(t, []analyzetest.File{{Disk: log, Kind: bundle.KindGoroutineDump}}, nil), "SIGQUIT")
}

// TestSnapshotIsNoCrash: a gcore snapshot of a live process is no crash.
func TestSnapshotIsNoCrash(t *testing.T) {
	exe := testcore.Build(t, endsSrc)
	p := testcore.Start(t, exe, "ready")
	core := p.Gcore(t)
	fs := analyse(t, []analyzetest.File{{Disk: exe, Kind: bundle.KindGoBinary}, {Disk: core, Kind: bundle.KindCore}}, nil)
	if len(fs) != 1 || fs[0].ID != requestedID || fs[0].Cause != "" || !strings.Contains(fs[0].Title, "snapshot") {
		t.Errorf("gcore snapshot: want one informational snapshot finding, got %+v", fs)
	}
}

// TestRealCrashesUnderAbort: a panic, a runtime fatal error and a nil
// dereference under GOTRACEBACK=crash all end in the runtime's own
// SIGABRT, and stay crashes — from the core and from the output alone,
// and even when a capture manifest claims it sent SIGABRT itself.
func TestRealCrashesUnderAbort(t *testing.T) {
	exe := testcore.Build(t, endsSrc)
	capture := &bundle.Capture{Steps: []bundle.CaptureStep{{Name: "core", Status: "ok", Method: "abort"}}}
	for _, c := range []struct{ mode, title string }{
		{"panic", "bad request 42"},
		{"fatal", "concurrent map"},
		{"nil", "nil pointer dereference"},
	} {
		e := crashed(t, exe, c.mode)
		wantCrash(t, c.mode+": core and output", analyse(t, e.files(true), nil), c.title)
		wantCrash(t, c.mode+": output alone", analyse(t, e.files(false), nil), c.title)
		wantCrash(t, c.mode+": core and manifest", analyse(t, []analyzetest.File{e.files(true)[1], e.files(true)[2]}, capture), "")
	}
}

// TestStrippedOperatorAbort: the core of a stripped binary (no DWARF)
// built by a Go version coroner carries the runtime's layouts for shows,
// like an unstripped one, that its SIGABRT came from outside. Built
// outside those tables (a GOEXPERIMENT is recorded), the core alone cannot
// show the signal's sender and stays a crash known only by its signal,
// with a capture manifest's claim noted, not believed; the runtime's crash
// header beside it shows the sigcode, and then it is a requested dump.
func TestStrippedOperatorAbort(t *testing.T) {
	capture := &bundle.Capture{Steps: []bundle.CaptureStep{{Name: "core", Status: "ok", Method: "abort"}}}
	tabled := signalled(t, testcore.Build(t, endsSrc, "-ldflags=-s -w"), syscall.SIGABRT)
	wantRequested(t, "stripped core alone", analyse(t, []analyzetest.File{tabled.files(true)[1], tabled.files(true)[2]}, nil), "SIGABRT")

	t.Setenv("GOEXPERIMENT", "heapminimum512kib") // leaves the structs alone, but is outside the tables
	e := signalled(t, testcore.Build(t, endsSrc, "-ldflags=-s -w"), syscall.SIGABRT)
	core := []analyzetest.File{e.files(true)[1], e.files(true)[2]}
	fs := analyse(t, core, capture)
	wantCrash(t, "untabled stripped core alone", fs, "signal SIGABRT")
	if len(fs) == 1 {
		noted := false
		for _, ev := range fs[0].Evidence {
			noted = noted || ev.Metric == "capture"
		}
		if !noted {
			t.Errorf("untabled stripped core alone: the capture manifest's claim is not noted: %+v", fs[0].Evidence)
		}
	}
	wantRequested(t, "untabled stripped core and output", analyse(t, e.files(true), nil), "SIGABRT")
}

// TestTgkillFromOutside: SIGABRT sent to one thread with tgkill(2) from
// another process. The crash header shows only SI_TKILL, the code of a
// process raising a signal at itself (abort(3), the runtime's crash), so
// the output alone stays a crash; the core's siginfo names the sender, and
// with it the incident is a requested dump.
func TestTgkillFromOutside(t *testing.T) {
	testcore.CheckCoreDumps(t)
	exe := testcore.Build(t, endsSrc)
	p := testcore.StartCoreDumping(t, exe, "ready", "GOTRACEBACK=crash")
	time.Sleep(200 * time.Millisecond)
	pid := p.Cmd.Process.Pid
	if err := syscall.Tgkill(pid, pid, syscall.SIGABRT); err != nil {
		t.Fatal(err)
	}
	stderr := p.Wait(t)
	core := p.FindCore(t)
	e := end{exe: exe, core: core, log: writeLog(t, filepath.Dir(core), stderr)}
	wantCrash(t, "output alone", analyse(t, e.files(false), nil), "signal SIGABRT")
	fs := analyse(t, e.files(true), nil)
	if len(fs) != 1 || fs[0].ID != requestedID || !strings.Contains(fs[0].Evidence[0].Text, "SI_TKILL (-6) sent by pid "+fmt.Sprint(os.Getpid())) {
		t.Errorf("core and output: want a requested dump sent with tgkill by this test, got %+v", fs)
	}
}
