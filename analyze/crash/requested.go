package crash

import (
	"fmt"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/bundle/goroutines"
)

// requestedID is the finding for a dump someone asked for.
const requestedID = "crash/requested-dump"

// Confidence in a requested dump.
const (
	// confidenceRequested: the source shows the signal's origin (a core's
	// siginfo, or the runtime's crash header's sigcode) and that no
	// goroutine panicked or threw.
	confidenceRequested = 0.9
	// confidenceCaptured: a core's siginfo shows it, and the capture's
	// manifest says the capture itself sent SIGABRT: both agree.
	confidenceCaptured = 0.99
	// confidenceSnapshot: a core no fatal signal wrote, which only a
	// debugger of a live process produces.
	confidenceSnapshot = 0.95
)

// requestedFinding reports the dump c shows someone asked for: no crash,
// so the verdict comes from the other analyzers.
func requestedFinding(pass *analyze.Pass, c *goroutines.Census) analyze.Finding {
	r := c.Requested
	what := "Goroutine dump"
	if c.Format == "core" {
		what = "Core"
	}
	ev := []analyze.Evidence{{Metric: "requested_dump", Artifact: c.Source, Text: r.Evidence}}
	if r.Signal == "" {
		return analyze.Finding{
			ID:         requestedID,
			Title:      what + " is a debugger's snapshot of a live process, not a crash",
			Severity:   analyze.Info,
			Confidence: confidenceSnapshot,
			Summary:    fmt.Sprintf("%s was written while the process was stopped and alive (gcore): nothing crashed; the other findings say what the process was doing.", c.Source),
			Evidence:   ev,
		}
	}
	conf := confidenceRequested
	if c.Format == "core" && r.Signal == "SIGABRT" && pass.Manifest().CoreAborted() {
		conf = confidenceCaptured
		ev = append(ev, analyze.Evidence{Metric: "capture", Artifact: c.Source,
			Text: "the capture manifest agrees: the capture sent SIGABRT itself (core step method abort)"})
	}
	ev = append(ev, analyze.Evidence{Metric: "signal", Artifact: c.Source, Text: signalNote(r)})
	return analyze.Finding{
		ID:         requestedID,
		Title:      fmt.Sprintf("%s requested with %s from outside, not a crash", what, r.Signal),
		Severity:   analyze.Info,
		Confidence: conf,
		Summary: fmt.Sprintf("%s shows the process was sent %s by another process (kill, a watchdog, a supervisor) and no goroutine panicked or threw: "+
			"the runtime printed its goroutines and, under GOTRACEBACK=crash, dumped core with SIGABRT because it was asked to. "+
			"The other findings say what the process was doing.", c.Source, r.Signal),
		Evidence: ev,
	}
}

// signalNote renders the signal, its code and sender.
func signalNote(r *goroutines.Requested) string {
	s := r.Signal
	if r.Code != "" {
		s += " " + r.Code
	}
	switch {
	case r.SenderPID > 0:
		s += fmt.Sprintf(" from pid %d", r.SenderPID)
	case r.SenderPID == 0:
		s += " from outside the process's PID namespace"
	}
	if r.PID > 0 {
		s += fmt.Sprintf(" to pid %d", r.PID)
	}
	return s
}
