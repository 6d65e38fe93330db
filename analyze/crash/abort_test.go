package crash

import (
	"syscall"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/testcore"
)

const idleSrc = `package main

import (
	"fmt"
	"time"
)

func main() {
	for i := 0; i < 4; i++ {
		go func() { time.Sleep(time.Hour) }()
	}
	fmt.Println("ready")
	time.Sleep(time.Hour)
}
`

// TestRequestedAbort: a SIGABRT the capture sent itself is no crash when
// the manifest says so, and still a crash (of unknown site) when it does not.
func TestRequestedAbort(t *testing.T) {
	testcore.CheckCoreDumps(t)
	exe := testcore.Build(t, idleSrc)
	p := testcore.StartCoreDumping(t, exe, "ready", "GOTRACEBACK=crash")
	time.Sleep(200 * time.Millisecond) // let main park in time.Sleep
	if err := p.Cmd.Process.Signal(syscall.SIGABRT); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = p.Cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("process did not die on SIGABRT")
	}
	core := p.FindCore(t)
	files := []analyzetest.File{{Disk: exe, Kind: bundle.KindGoBinary}, {Disk: core, Kind: bundle.KindCore}}

	src, err := analyzetest.NewDirSource("abort", files)
	if err != nil {
		t.Fatal(err)
	}
	src.SetCapture(&bundle.Capture{Steps: []bundle.CaptureStep{{Name: "core", Status: "ok", Method: "abort"}}})
	r := analyzetest.Run(t, src, Analyzer)
	fs := analyzetest.FindingsOf(r, "crash")
	if len(fs) != 1 || fs[0].ID != "crash/requested-abort" || fs[0].Cause != "" {
		t.Errorf("requested abort: want one informational finding, got %+v\nall: %+v\nwarnings: %v", fs, r.Findings, r.Warnings)
	}

	bare, err := analyzetest.NewDirSource("abort-unknown", files)
	if err != nil {
		t.Fatal(err)
	}
	r = analyzetest.Run(t, bare, Analyzer)
	fs = analyzetest.FindingsOf(r, "crash")
	if len(fs) != 1 || fs[0].Cause != "crash" {
		t.Errorf("SIGABRT of unknown origin: want a crash finding, got %+v", fs)
	}
}
