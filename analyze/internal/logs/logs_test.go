package logs

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/gctrace"
	slt "github.com/coroner/coroner/bundle/servicelog/servicelogtest"
	"github.com/coroner/coroner/internal/testcore"
)

// gcSrc collects garbage many times with gctrace on, then panics.
const gcSrc = `package main

import "fmt"

var sink [][]byte

func main() {
	for i := 0; i < 3000; i++ {
		sink = append(sink, make([]byte, 64<<10))
		if len(sink) > 40 {
			sink = sink[1:]
		}
		if i%100 == 0 {
			fmt.Printf("{\"level\":\"info\",\"n\":%d}\n", i)
		}
	}
	panic(fmt.Sprintf("done after %d", len(sink)))
}
`

// TestLogGCTraceAndCensus: a CRI log of a real run gives the gctrace
// package the same cycles as the run's own stderr, and the census of its
// crash.
func TestLogGCTraceAndCensus(t *testing.T) {
	exe := testcore.Build(t, gcSrc)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), "GODEBUG=gctrace=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if cmd.Run() == nil {
		t.Fatal("program did not panic")
	}
	want, err := gctrace.Summarize(bytes.NewReader(stderr.Bytes()), "stderr")
	if err != nil || want.Cycles == 0 {
		t.Fatalf("stderr: %v, %+v", err, want)
	}
	for _, w := range []slt.Wrapper{slt.Wrappers[1], slt.Wrappers[3], slt.Wrappers[5]} {
		t.Run(w.Name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "pod.log")
			if err := os.WriteFile(path, w.Wrap(slt.Merge(stdout.Bytes(), stderr.Bytes(), "panic: ")), 0o644); err != nil {
				t.Fatal(err)
			}
			src, err := analyzetest.NewDirSource("log", []analyzetest.File{{Disk: path, Kind: bundle.KindLog}})
			if err != nil {
				t.Fatal(err)
			}
			pass := analyze.NewPass(context.Background(), &analyze.Analyzer{Name: "test", Inputs: []analyze.Input{analyze.Streamed(bundle.KindGCTrace), analyze.Streamed(bundle.KindLog)}}, src, nil, nil, nil, nil)
			as := GCTraceSources(pass)
			if len(as) != 1 {
				t.Fatalf("sources %+v", as)
			}
			rc, err := Open(pass, as[0])
			if err != nil {
				t.Fatal(err)
			}
			got, err := gctrace.Summarize(rc, as[0].Path)
			rc.Close()
			if err != nil || got.Cycles != want.Cycles || got.PauseTotal != want.PauseTotal {
				t.Errorf("log: %d cycles, %v paused; stderr: %d, %v (%v)", got.Cycles, got.PauseTotal, want.Cycles, want.PauseTotal, err)
			}
			c, found, err := Census(pass, as[0])
			if err != nil {
				t.Fatal(err)
			}
			if sum, ok := found.GCTrace(); !ok || sum.Cycles != want.Cycles || sum.PauseTotal != want.PauseTotal {
				t.Errorf("the census's read tells %+v (ok %v); stderr: %d cycles, %v paused", sum, ok, want.Cycles, want.PauseTotal)
			}
			if c.Crash == nil || c.Crash.Message != `done after 40` || c.Format != "crash" || len(c.Goroutines) == 0 || c.Goroutines[0].Frames[0].Func != "main.main" {
				t.Errorf("census %+v crash %+v", c, c.Crash)
			}
		})
	}
}
