// Package traces summarizes the archive's execution traces once for every
// analyzer that reads them (gc_stw for stop-the-world ranges, lock_wait for
// blocking, netpoll_spin for the scheduler's wake-ups, deadlock for progress): its analyzer's
// result is one tracefile.Summary and one Window per trace. It runs early,
// beside the core census, so the analyzers after the census find the
// traces read.
package traces

import (
	"reflect"

	"golang.org/x/exp/trace"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/tracefile"
)

// Analyzer summarizes execution traces; its result is *Result.
var Analyzer = &analyze.Analyzer{
	Name: "trace",
	Doc: "summarize runtime execution traces\n\n" +
		"Reads each execution trace once into what the other analyzers judge: stop-the-world ranges, GC " +
		"phases and assists, heap metrics, scheduler wake-ups, and where goroutines blocked and for how long.",
	Version:    "1",
	Inputs:     []analyze.Input{analyze.Streamed(bundle.KindTrace)},
	ResultType: reflect.TypeFor[*Result](),
	Run:        run,
}

// Trace is one summarized trace.
type Trace struct {
	Path    string
	Summary *tracefile.Summary
	// Window is what the trace says about progress (for deadlock); nil
	// when the trace has no event.
	Window *Window
	// Wakes is what the goroutines the scheduler woke did next (for
	// netpoll_spin).
	Wakes *Wakes
}

// Result lists the summaries in manifest order.
type Result struct {
	Traces []Trace
}

func run(pass *analyze.Pass) (any, error) {
	res := &Result{}
	for _, a := range pass.Artifacts(bundle.KindTrace) {
		rc, err := pass.Open(a)
		if err != nil {
			pass.Warn(err.Error())
			continue
		}
		// One decoding pass gives the summary and the progress window.
		f, wf := newWindowFolder(a.Path), newWakeFolder()
		s, err := tracefile.SummarizeWith(pass.Context, rc, a.Path, func(e *trace.Event) { f.event(e); wf.event(e) })
		rc.Close()
		if err != nil {
			if pass.Context.Err() != nil {
				return nil, err
			}
			pass.Warn(err.Error())
			continue
		}
		if s.Warning != "" {
			pass.Warn(s.Warning)
		}
		pass.Used(a.Path)
		t := Trace{Path: a.Path, Summary: s, Wakes: wf.w}
		if f.started {
			t.Window = f.finish(s.Truncated)
		}
		res.Traces = append(res.Traces, t)
	}
	return res, nil
}

// Of returns the result from a pass whose analyzer requires Analyzer.
func Of(pass *analyze.Pass) *Result {
	r, _ := pass.ResultOf(Analyzer).(*Result)
	if r == nil {
		return &Result{}
	}
	return r
}
