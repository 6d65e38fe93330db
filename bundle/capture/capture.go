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
		split, err = newLineSplitter(dir)
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
	m, err := pack(ictx, &o, dir, capt)
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

// capturer is one capture in progress: its options, target, staging
// directory and step record.
type capturer struct {
	ctx     context.Context
	o       *Options
	t       *target
	split   *lineSplitter
	dir     string
	rec     *recorder
	wg      sync.WaitGroup
	pprofOK bool
	note    string // how the pprof URL was found, when it was not given
	// stderr is a --pid target's stderr file, opened at the start;
	// stderrWhy says why there is none.
	stderr    *os.File
	stderrWhy string
	start     time.Time // when the window opened
}

// step is a capture action; it returns the staged files it wrote.
type step func(context.Context) ([]string, error)

// run performs every step and returns the capture record.
func run(ctx context.Context, o *Options, t *target, split *lineSplitter, dir string, rec *recorder) *bundle.Capture {
	s := &capturer{ctx: ctx, o: o, t: t, split: split, dir: dir, rec: rec}
	if split == nil {
		s.stderr, s.stderrWhy = openStderr(t.pid)
	}
	s.instant()
	s.ready()
	s.window()
	s.snapshots()
	s.wg.Wait()
	if s.stderr != nil {
		// Before the core: the traceback of coroner's own SIGABRT is
		// not the target's output.
		s.split, s.stderrWhy = takeStderrTail(s.stderr, dir)
		s.stderr.Close()
	}
	diedEarly := t.gone()
	s.core(diedEarly)
	t.stop()
	return s.finish(diedEarly)
}

// async runs a step concurrently with the others.
func (s *capturer) async(name string, timeout time.Duration, fn step) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.rec.run(s.ctx, name, timeout, fn)
	}()
}

// viaPprof runs a step that needs the pprof endpoint, or records why not.
func (s *capturer) viaPprof(name string, timeout time.Duration, fn step) {
	if !s.pprofOK {
		reason := "no --pprof URL given"
		if s.t.cmd == nil {
			reason = "no pprof endpoint (see step pprof)"
		} else if s.o.PprofURL != "" {
			reason = "pprof URL unusable (see step pprof)"
		}
		s.rec.add(bundle.CaptureStep{Name: name, Status: StatusSkipped, Reason: reason})
		return
	}
	s.async(name, timeout, fn)
}

// instant captures state first: the process may not live through the window.
func (s *capturer) instant() {
	t, dir := s.t, s.dir
	s.async("exe", snapshotTimeout, func(c context.Context) ([]string, error) { return captureExe(c, t, dir) })
	s.async("proc", snapshotTimeout, func(c context.Context) ([]string, error) { return captureProc(c, t, dir) })
	s.async("kallsyms", snapshotTimeout, func(c context.Context) ([]string, error) {
		if s.o.NoKallsyms {
			return nil, skip("--kallsyms=false")
		}
		return captureKallsyms(c, dir)
	})
	s.async("environ", snapshotTimeout, func(c context.Context) ([]string, error) { return captureEnv(c, t, dir, s.o.WithEnv) })
}

// ready checks the pprof endpoint, waiting (bounded) for an --exec target
// to bind it.
func (s *capturer) ready() {
	o := s.o
	s.rec.run(s.ctx, "pprof", o.ReadyTimeout+snapshotTimeout, func(c context.Context) ([]string, error) {
		var err error
		switch {
		case o.PprofURL == "" && s.t.cmd == nil:
			return nil, s.discover(c)
		case o.PprofURL == "":
			return nil, skip("no --pprof URL given")
		case s.t.cmd != nil:
			err = waitReady(c, o.PprofURL, o.ReadyTimeout, s.t)
		default:
			err = probe(c, o.PprofURL)
		}
		s.pprofOK = err == nil
		return nil, err
	})
	if s.note != "" {
		s.rec.setMethod("pprof", "discovered")
		s.rec.setReason("pprof", s.note)
	}
}

// discover looks for a --pid target's pprof endpoint when no URL was
// given, and probes what it found as a given URL would be.
func (s *capturer) discover(c context.Context) error {
	d, err := discoverPprof(c, s.t.pid)
	if err != nil {
		return skip("no --pprof URL given, and looking for one failed: %v", err)
	}
	if d.url == "" {
		return skip("%s", d.summary())
	}
	s.o.Log("pprof: %s", d.summary())
	if err := probe(c, d.url); err != nil {
		return fmt.Errorf("%s, but: %w", d.summary(), err)
	}
	s.o.PprofURL, s.note, s.pprofOK = d.url, d.summary(), true
	return nil
}

// window starts perf, the CPU profile and the trace, which overlap, and
// waits until the window closes or the target dies.
func (s *capturer) window() {
	o, t, dir := s.o, s.t, s.dir
	s.start = time.Now()
	limit := o.Duration + windowSlack
	if o.Perf == PerfOff {
		s.rec.add(bundle.CaptureStep{Name: "perf", Status: StatusSkipped, Reason: "--perf off"})
	} else {
		s.async("perf", limit, func(c context.Context) ([]string, error) {
			return recordPerf(c, t.pid, o.Duration, filepath.Join(dir, "perf.data"))
		})
	}
	s.viaPprof("cpu-profile", limit, func(c context.Context) ([]string, error) {
		return fetch(c, o.PprofURL, fmt.Sprintf("profile?seconds=%d", seconds(o.Duration)), filepath.Join(dir, "cpu.pprof"), checkProfile)
	})
	if o.TraceDuration < 0 {
		s.rec.add(bundle.CaptureStep{Name: "trace", Status: StatusSkipped, Reason: "--trace-duration negative: trace disabled"})
	} else {
		s.viaPprof("trace", limit, s.trace)
	}
	select {
	case <-time.After(time.Until(s.start.Add(o.Duration))):
	case <-t.exited:
	case <-s.ctx.Done():
	}
}

// trace closes the window, overlapping the CPU profile so it carries CPU
// samples, without lengthening the capture.
func (s *capturer) trace(c context.Context) ([]string, error) {
	select {
	case <-time.After(time.Until(s.start.Add(s.o.Duration - s.o.TraceDuration))):
	case <-s.t.exited:
		return nil, fmt.Errorf("target %s before the trace began", s.t.exit())
	case <-c.Done():
		return nil, c.Err()
	}
	return fetch(c, s.o.PprofURL, fmt.Sprintf("trace?seconds=%d", seconds(s.o.TraceDuration)),
		filepath.Join(s.dir, "trace.out"), checkPrefix("a Go execution trace", "go 1."))
}

// snapshots takes the end-of-window profiles and goroutine dump.
func (s *capturer) snapshots() {
	get := func(path, file string, check func(string) error) step {
		return func(c context.Context) ([]string, error) {
			if s.t.gone() {
				return nil, fmt.Errorf("target %s", s.t.exit())
			}
			return fetch(c, s.o.PprofURL, path, filepath.Join(s.dir, file), check)
		}
	}
	for _, p := range snapshots {
		s.viaPprof(p.step, snapshotTimeout, get(p.path, p.file, checkProfile))
	}
	s.viaPprof("goroutines", snapshotTimeout, get("goroutine?debug=2", "goroutines.txt", checkPrefix("a goroutine dump", "goroutine ")))
}

// core comes last: gcore stops the process, abort ends it, and a target
// that already died may have left one.
func (s *capturer) core(diedEarly bool) {
	method := ""
	s.rec.run(s.ctx, "core", coreTimeout+exitTimeout, func(c context.Context) ([]string, error) {
		switch {
		case diedEarly:
			method = CoreMethodRuntime
			return collectCore(c, s.t, s.dir)
		case s.o.Core == CoreNone:
			return nil, skip("--core none")
		case s.o.Core == CoreAbort:
			method = CoreAbort
			return abortCore(c, s.t, s.dir)
		default:
			method = CoreGcore
			return gcore(c, s.t, s.dir)
		}
	})
	s.rec.setMethod("core", method)
}

// finish records the target's fate and the stderr files.
func (s *capturer) finish(diedEarly bool) *bundle.Capture {
	t := s.t
	capt := &bundle.Capture{Target: strings.Join(targetArgv(s.o, t), " "), PID: t.pid}
	targetStep := bundle.CaptureStep{Name: "target", Status: StatusOK}
	if diedEarly {
		capt.Partial = true
		targetStep.Status = StatusFailed
		targetStep.Reason = "process " + t.exit() + "; the capture is partial"
	} else if e := t.exit(); e != "" && t.cmd == nil {
		targetStep.Reason = "process " + e
	}
	s.rec.add(targetStep)
	recordStderr(s.rec, s.split, s.stderrWhy)
	capt.Steps = s.rec.result()
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
