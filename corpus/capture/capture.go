package capture

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/coroner/coroner/bundle"
)

// stepOrder is the order steps appear in the manifest.
var stepOrder = []string{
	"target", "exe", "proc", "kallsyms", "environ", "pprof",
	"perf", "cpu-profile", "trace",
	"heap", "allocs", "mutex", "block", "goroutines",
	"core", "gctrace", "stderr",
}

// snapshots are the profiles taken at the end of the window: cumulative
// ones (allocs, mutex, block) then cover the whole life of the process.
var snapshots = []struct{ step, path, file string }{
	{"heap", "heap", "heap.pprof"},
	{"allocs", "allocs", "allocs.pprof"},
	{"mutex", "mutex", "mutex.pprof"},
	{"block", "block", "block.pprof"},
}

// Result is what a capture produced.
type Result struct {
	// Manifest is the written archive's manifest.
	Manifest *bundle.Manifest
	// Capture is the step record (also in Manifest when ingest succeeded).
	Capture *bundle.Capture
	// Staging is the directory the files were captured into; it is kept
	// (and named here) when ingesting failed or KeepStaging was set.
	Staging string
}

// Collect captures the target described by o and ingests the capture into
// o.Output. An error before any capture (bad options, no such process, not
// a Go program) leaves nothing behind; an error after it keeps the staging
// directory and names it.
func Collect(ctx context.Context, o Options) (*Result, error) {
	if err := o.normalize(); err != nil {
		return nil, err
	}
	out, err := filepath.Abs(o.Output)
	if err != nil {
		return nil, err
	}
	o.Output = out
	rec := &recorder{log: o.Log, prog: o.Progress, total: len(stepOrder), order: map[string]int{}}
	for i, n := range stepOrder {
		rec.order[n] = i
	}
	var t *target
	var split *lineSplitter
	if o.PID != 0 {
		if t, err = attach(o.PID); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp(filepath.Dir(out), ".coroner-collect-")
	if err != nil {
		return nil, fmt.Errorf("creating staging directory beside %s: %w", out, err)
	}
	res := &Result{Staging: dir}
	if len(o.Exec) != 0 {
		split, err = newLineSplitter(filepath.Join(dir, "gctrace.log"), filepath.Join(dir, "stderr.log"))
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("staging directory %s: %w", dir, err)
		}
		if t, err = startExec(o.Exec, o.Dir, o.TargetOutput, split); err != nil {
			split.Close()
			os.RemoveAll(dir)
			return nil, err
		}
		o.Log("started %s as process %d", strings.Join(o.Exec, " "), t.pid)
	}
	defer t.stop()
	o.Log("capturing process %d (%s) for %v into %s", t.pid, t.exe, o.Duration, dir)
	capt := run(ctx, &o, t, split, dir, rec)
	res.Capture = capt
	if len(rec.failed()) > 0 {
		o.Log("failed steps: %s", strings.Join(rec.failed(), ", "))
	}
	ictx := ctx
	if ctx.Err() != nil {
		// Interrupted: still archive what was captured.
		o.Log("interrupted (%v); archiving what was captured", ctx.Err())
		capt.Partial = true
		ictx = context.WithoutCancel(ctx)
	}
	m, err := ingest(ictx, &o, dir, capt)
	if err != nil {
		writeStepLog(dir, capt)
		return res, fmt.Errorf("writing %s: %w; nothing captured is lost: the files are kept in %s", out, err, dir)
	}
	res.Manifest = m
	if !o.KeepStaging {
		os.RemoveAll(dir)
		res.Staging = ""
	}
	return res, nil
}

// run performs every step and returns the capture record.
func run(ctx context.Context, o *Options, t *target, split *lineSplitter, dir string, rec *recorder) *bundle.Capture {
	var wg sync.WaitGroup
	goStep := func(name string, timeout time.Duration, fn func(context.Context) ([]string, error)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec.run(ctx, name, timeout, fn)
		}()
	}
	// Instant state first: the process may not live through the window.
	goStep("exe", snapshotTimeout, func(c context.Context) ([]string, error) { return captureExe(c, t, dir) })
	goStep("proc", snapshotTimeout, func(c context.Context) ([]string, error) { return captureProc(c, t, dir) })
	goStep("kallsyms", snapshotTimeout, func(c context.Context) ([]string, error) {
		if o.NoKallsyms {
			return nil, skip("--kallsyms=false")
		}
		return captureKallsyms(c, dir)
	})
	goStep("environ", snapshotTimeout, func(c context.Context) ([]string, error) { return captureEnv(c, t, dir, o.WithEnv) })

	pprofOK := false
	rec.run(ctx, "pprof", o.ReadyTimeout+snapshotTimeout, func(c context.Context) ([]string, error) {
		switch {
		case o.PprofURL == "":
			return nil, skip("no --pprof URL given")
		case t.cmd != nil:
			if err := waitReady(c, o.PprofURL, o.ReadyTimeout, t); err != nil {
				return nil, err
			}
		default:
			if err := probe(c, o.PprofURL); err != nil {
				return nil, err
			}
		}
		pprofOK = true
		return nil, nil
	})
	pprofStep := func(name string, timeout time.Duration, fn func(context.Context) ([]string, error)) {
		if !pprofOK {
			reason := "no --pprof URL given"
			if o.PprofURL != "" {
				reason = "pprof URL unusable (see step pprof)"
			}
			rec.add(bundle.CaptureStep{Name: name, Status: StatusSkipped, Reason: reason})
			return
		}
		goStep(name, timeout, fn)
	}

	// The window: perf, CPU profile and trace overlap.
	windowStart := time.Now()
	window := o.Duration + windowSlack
	if o.Perf == PerfOff {
		rec.add(bundle.CaptureStep{Name: "perf", Status: StatusSkipped, Reason: "--perf off"})
	} else {
		goStep("perf", window, func(c context.Context) ([]string, error) {
			return recordPerf(c, t.pid, o.Duration, filepath.Join(dir, "perf.data"))
		})
	}
	pprofStep("cpu-profile", window, func(c context.Context) ([]string, error) {
		return fetch(c, o.PprofURL, fmt.Sprintf("profile?seconds=%d", seconds(o.Duration)), filepath.Join(dir, "cpu.pprof"), checkProfile)
	})
	if o.TraceDuration < 0 {
		rec.add(bundle.CaptureStep{Name: "trace", Status: StatusSkipped, Reason: "--trace-duration negative: trace disabled"})
	} else {
		pprofStep("trace", window, func(c context.Context) ([]string, error) {
			// The trace closes the window, overlapping the CPU profile so
			// it carries CPU samples, without slowing the whole window.
			select {
			case <-time.After(time.Until(windowStart.Add(o.Duration - o.TraceDuration))):
			case <-t.exited:
				return nil, fmt.Errorf("target %s before the trace began", t.exit())
			case <-c.Done():
				return nil, c.Err()
			}
			return fetch(c, o.PprofURL, fmt.Sprintf("trace?seconds=%d", seconds(o.TraceDuration)), filepath.Join(dir, "trace.out"), checkPrefix("a Go execution trace", "go 1."))
		})
	}
	// Wait out the window (or the target's death) before the snapshots.
	select {
	case <-time.After(time.Until(windowStart.Add(o.Duration))):
	case <-t.exited:
	case <-ctx.Done():
	}
	for _, s := range snapshots {
		pprofStep(s.step, snapshotTimeout, func(c context.Context) ([]string, error) {
			if t.gone() {
				return nil, fmt.Errorf("target %s", t.exit())
			}
			return fetch(c, o.PprofURL, s.path, filepath.Join(dir, s.file), checkProfile)
		})
	}
	pprofStep("goroutines", snapshotTimeout, func(c context.Context) ([]string, error) {
		if t.gone() {
			return nil, fmt.Errorf("target %s", t.exit())
		}
		return fetch(c, o.PprofURL, "goroutine?debug=2", filepath.Join(dir, "goroutines.txt"), checkPrefix("a goroutine dump", "goroutine "))
	})
	wg.Wait()

	// The core comes last: gcore stops the process, abort ends it.
	diedEarly := t.gone()
	rec.run(ctx, "core", coreTimeout+exitTimeout, func(c context.Context) ([]string, error) {
		switch {
		case diedEarly:
			return collectCore(c, t, dir)
		case o.Core == CoreNone:
			return nil, skip("--core none")
		case o.Core == CoreAbort:
			return abortCore(c, t, dir)
		default:
			return gcore(c, t, dir)
		}
	})
	t.stop()
	capt := &bundle.Capture{Target: strings.Join(targetArgv(o, t), " "), PID: t.pid}
	targetStep := bundle.CaptureStep{Name: "target", Status: StatusOK}
	if diedEarly {
		capt.Partial = true
		targetStep.Status = StatusFailed
		targetStep.Reason = "process " + t.exit() + "; the capture is partial"
	} else if e := t.exit(); e != "" && t.cmd == nil {
		targetStep.Reason = "process " + e
	}
	rec.add(targetStep)
	if split != nil {
		finishStderr(rec, split)
	} else {
		rec.add(bundle.CaptureStep{Name: "gctrace", Status: StatusSkipped, Reason: "stderr is only captured for targets started with --exec"})
		rec.add(bundle.CaptureStep{Name: "stderr", Status: StatusSkipped, Reason: "stderr is only captured for targets started with --exec"})
	}
	capt.Steps = rec.result()
	return capt
}

// finishStderr closes the stderr files and records their steps; an empty
// file is removed so it is not ingested.
func finishStderr(rec *recorder, s *lineSplitter) {
	err := s.Close()
	gcLines, restBytes := s.counts()
	st := bundle.CaptureStep{Name: "gctrace", Status: StatusOK, Files: []string{baseName(s.gc.Name())}}
	switch {
	case err != nil:
		st = bundle.CaptureStep{Name: "gctrace", Status: StatusFailed, Reason: "writing stderr: " + err.Error()}
	case gcLines == 0:
		os.Remove(s.gc.Name())
		st = bundle.CaptureStep{Name: "gctrace", Status: StatusSkipped, Reason: "the target printed no gctrace lines (GODEBUG overridden, or no GC ran)"}
	}
	rec.add(st)
	st = bundle.CaptureStep{Name: "stderr", Status: StatusOK, Files: []string{baseName(s.rest.Name())}}
	if restBytes == 0 {
		os.Remove(s.rest.Name())
		st = bundle.CaptureStep{Name: "stderr", Status: StatusSkipped, Reason: "the target wrote nothing else to stderr"}
	}
	rec.add(st)
}

// targetArgv describes the target for the manifest.
func targetArgv(o *Options, t *target) []string {
	if len(o.Exec) != 0 {
		return o.Exec
	}
	return []string{t.exe}
}

// writeStepLog leaves the step record beside kept files, so a capture whose
// ingest failed still says what happened.
func writeStepLog(dir string, c *bundle.Capture) {
	var b strings.Builder
	for _, s := range c.Steps {
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\n", s.Name, s.Status, strings.Join(s.Files, ","), s.Reason)
	}
	_ = os.WriteFile(filepath.Join(dir, "capture-steps.txt"), []byte(b.String()), 0o644)
}
