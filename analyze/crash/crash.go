// Package crash reports how a process died: the goroutine and thread that
// crashed, the fatal signal and faulting address, the panic value or fatal
// error text, the crash site, and a crash signature that stays the same for
// the same bug across rebuilds so tickets can be deduplicated.
package crash

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/census"
	"github.com/coroner/coroner/bundle/goroutines"
)

// Analyzer is the crash analyzer.
var Analyzer = &analyze.Analyzer{
	Name: "crash",
	Doc: "how the process died, if it crashed\n\n" +
		"The crashed goroutine and thread, fatal signal and faulting address, panic value or fatal error text " +
		"(from the core's memory or the crash output), the crash site, and a crash signature (panic kind + top " +
		"normalized user frames) that is stable across rebuilds.\n\n" +
		"A dump someone asked for is no crash: a signal another process sent (kill -ABRT, kill -QUIT, a watchdog; " +
		"the signal frame's siginfo in the core, or the sigcode of the runtime's crash header) with no goroutine " +
		"panicking or throwing, or a debugger's snapshot. It is reported as information, and the verdict comes from the other analyzers.",
	Version:    "3",
	Requires:   []*analyze.Analyzer{census.Analyzer},
	ResultType: reflect.TypeFor[*Result](),
	Run:        run,
}

// Result is the crash, when there was one.
type Result struct {
	Crash  *goroutines.Crash `json:"crash"`
	Source string            `json:"source"`
	// Signature is the short stable string, SignatureKey its hash
	// ("v1:…"), SignatureVersion the algorithm's version.
	Signature        string `json:"signature"`
	SignatureKey     string `json:"signature_key"`
	SignatureVersion int    `json:"signature_version"`
	// Frames is the crashed goroutine's stack, innermost first.
	Frames []goroutines.Frame `json:"frames,omitempty"`
}

// deadlockThrow is the runtime's fatal error when every goroutine is
// blocked (runtime.checkdead); the deadlock analyzer reports it.
const deadlockThrow = "all goroutines are asleep - deadlock!"

// Confidence levels.
const (
	// confidenceSite: the runtime said it crashed and we have the site.
	confidenceSite = 0.95
	// confidenceSignalOnly: a fatal signal with no panic or throw text and
	// no crashed goroutine: it died, but where is uncertain.
	confidenceSignalOnly = 0.6
)

func run(pass *analyze.Pass) (any, error) {
	gr := census.Of(pass)
	if gr == nil {
		return nil, nil
	}
	c, g := gr.Crash()
	if c == nil {
		if rc := gr.Requested(); rc != nil {
			pass.Report(requestedFinding(pass, rc))
		}
		return nil, nil
	}
	cr := *c.Crash
	var frames []goroutines.Frame
	if g != nil {
		frames = g.Frames
	}
	if cr.Site == nil {
		cr.Site = goroutines.CrashSite(frames)
	}
	textFrom := ""
	if kind, msg, src, ok := gr.CrashText(c); ok {
		cr.Kind, cr.Message, textFrom = kind, msg, src
	}
	short, key := goroutines.Signature(&cr, frames)
	cr.Signature, cr.SignatureKey = short, key
	res := &Result{Crash: &cr, Source: c.Source, Signature: short, SignatureKey: key,
		SignatureVersion: goroutines.SignatureVersion, Frames: frames}
	if cr.Message == deadlockThrow {
		return res, nil
	}
	f := finding(&cr, c, frames)
	if textFrom != "" {
		f.Evidence = append(f.Evidence, analyze.Evidence{Metric: "crash_text", Artifact: textFrom,
			Text: "the " + cr.Kind + " text, which " + c.Source + " did not hold, as the runtime printed it"})
	}
	if cr.Kind == "signal" && cr.Message == "" && cr.Signal == "SIGABRT" && pass.Manifest().CoreAborted() {
		// The capture's record adds to the evidence but never decides:
		// the artifacts could not show where the SIGABRT came from.
		f.Evidence = append(f.Evidence, analyze.Evidence{Metric: "capture", Artifact: c.Source,
			Text: "the capture manifest says the capture itself sent SIGABRT to take the core (core step method abort), but no artifact confirms the signal came from outside: a core of a binary with DWARF, or the runtime's crash output, would"})
	}
	pass.Report(f)
	return res, nil
}

func finding(cr *goroutines.Crash, c *goroutines.Census, frames []goroutines.Frame) analyze.Finding {
	title := cr.Kind
	if cr.Message != "" {
		title += ": " + cr.Message
	} else if cr.Signal != "" {
		title += " " + cr.Signal
	}
	conf := confidenceSite
	var culprit *analyze.Culprit
	if cr.Site != nil {
		culprit = &analyze.Culprit{Function: cr.Site.Func, File: cr.Site.File, Line: cr.Site.Line}
		title += " in " + cr.Site.Func
	} else {
		conf = confidenceSignalOnly
	}
	ev := []analyze.Evidence{{Metric: "crash_signature", Artifact: c.Source, Text: cr.SignatureKey, Note: cr.Signature}}
	if cr.Signal != "" {
		ev = append(ev, analyze.Evidence{Metric: "signal", Artifact: c.Source, Text: cr.Signal + codeNote(cr.Code)})
	}
	if cr.FaultAddr != 0 || strings.Contains(cr.Message, "nil pointer") {
		ev = append(ev, analyze.Evidence{Metric: "fault_address", Value: float64(cr.FaultAddr), Artifact: c.Source, Note: fmt.Sprintf("%#x", cr.FaultAddr)})
	}
	if c.Reader != "" || c.GoVersion != "" {
		ev = append(ev, analyze.Evidence{Metric: "reader", Artifact: c.Source,
			Text: strings.TrimSpace(c.Reader + "; program built with " + orUnknown(c.GoVersion))})
	}
	if cr.GoroutineID != 0 {
		ev = append(ev, analyze.Evidence{Metric: "goroutine", Value: float64(cr.GoroutineID), Artifact: c.Source})
	}
	if cr.Thread != 0 {
		ev = append(ev, analyze.Evidence{Metric: "thread", Value: float64(cr.Thread), Artifact: c.Source})
	}
	f := analyze.Finding{
		ID:         "crash/" + strings.TrimPrefix(cr.SignatureKey, "v1:"),
		Title:      title,
		Severity:   analyze.Critical,
		Confidence: conf,
		Cause:      analyze.CauseCrash,
		Culprit:    culprit,
		Summary:    fmt.Sprintf("Signature %s (%s), from %s.", cr.SignatureKey, cr.Signature, c.Source),
		Evidence:   ev,
		Remedy:     remedy(cr),
	}
	if len(frames) > 0 {
		f.Stacks = []analyze.Stack{{Title: fmt.Sprintf("goroutine %d (crashed)", cr.GoroutineID), Frames: census.FrameStrings(frames)}}
	}
	return f
}

func codeNote(code string) string {
	if code == "" || code == "0x0" {
		return ""
	}
	return " code=" + code
}

// remedies map panic and fatal error texts the runtime produces to advice.
var remedies = []struct{ match, advice string }{
	{"assignment to entry in nil map", "Initialize the map (make) before writing to it; a zero-value struct field or a nil map returned on an error path is the usual source."},
	{"nil pointer dereference", "A nil pointer reached the crash site: check the error path that returns or stores nil, and guard the dereference."},
	{"concurrent map", "Two goroutines used the map at once without synchronization: guard it with a sync.Mutex/RWMutex or use sync.Map; run the tests with -race."},
	{"index out of range", "An index exceeded the slice's length: check the bounds or the producer of the index."},
	{"slice bounds out of range", "A slice expression exceeded the slice's bounds: check the length before slicing."},
	{"close of closed channel", "The channel is closed twice: let exactly one owner close it (sync.Once)."},
	{"send on closed channel", "A sender outlived the channel's close: close only after all senders stopped."},
	{"stack overflow", "Unbounded recursion: find the cycle in the crash stack."},
	{"out of memory", "The heap outgrew the machine or GOMEMLIMIT: look at the heap profile and the goroutine census for leaks."},
}

func remedy(cr *goroutines.Crash) string {
	for _, r := range remedies {
		if strings.Contains(cr.Message, r.match) {
			return r.advice
		}
	}
	return "Fix the failure at the crash site; the signature groups every occurrence of this bug."
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown Go version"
	}
	return s
}

// Of returns the crash result of a pass that requires or runs after the
// crash analyzer (nil if it failed, did not run, or found no crash).
func Of(pass *analyze.Pass) *Result {
	r, _ := pass.ResultOf(Analyzer).(*Result)
	return r
}
