package analyze

import (
	"fmt"
	"strings"
)

// Basis is the count behind a rate or share an analyzer judges: how many
// samples, events, goroutines or seconds it was computed from, and the
// fewest that make it worth judging. A share of three CPU samples or a
// rate over a tenth of a second says nothing about a process, whatever
// its value; an analyzer puts the basis beside every figure it
// thresholds (Evidence), judges the figure only when Enough, and when no
// figure it needs has enough behind it reports Insufficient instead of a
// cause.
//
//	b := analyze.Basis{Metric: "cpu_samples", Count: n, Min: 50, Unit: "samples",
//		Artifact: src, Why: "a 20 % share is known to ±11 points from 50 samples"}
//	ev = append(ev, b.Evidence())
//	if !b.Enough() {
//		missing = append(missing, b)
//	}
//	…
//	if judged == 0 {
//		pass.Report(analyze.Insufficient(pass.Analyzer.Name, missing...))
//	}
type Basis struct {
	// Metric names what is counted ("cpu_samples", "trace_duration").
	Metric string
	// Count is how many there were; Min the fewest that can be judged.
	Count, Min float64
	// Unit is what Count counts ("samples", "s", "goroutines").
	Unit string
	// Artifact is the archive path (or comma-separated paths) counted.
	Artifact string
	// Why says where Min comes from.
	Why string
}

// Enough reports whether the basis reaches its minimum.
func (b Basis) Enough() bool { return b.Count >= b.Min }

// Evidence states the basis as evidence, its minimum as the threshold.
func (b Basis) Evidence() Evidence {
	note := b.Why
	if !b.Enough() {
		note = "below the minimum, not judged; " + note
	}
	return Evidence{Metric: b.Metric, Value: b.Count, Unit: b.Unit, Threshold: Threshold(b.Min), Artifact: b.Artifact, Note: note}
}

// String renders "cpu_samples 3 samples (needs 100) in cpu.pprof".
func (b Basis) String() string {
	s := fmt.Sprintf("%s %v %s (needs %v)", b.Metric, b.Count, b.Unit, b.Min)
	if b.Artifact != "" {
		s += " in " + b.Artifact
	}
	return s
}

// JoinBases renders bases as "cpu_samples 3 samples (needs 100) in
// cpu.pprof; …", for a summary naming what fell short.
func JoinBases(bs []Basis) string {
	what := make([]string, len(bs))
	for i, b := range bs {
		what[i] = b.String()
	}
	return strings.Join(what, "; ")
}

// Insufficient is the info finding an analyzer reports instead of a cause
// when none of the figures it judges has enough behind it: it names what
// was missing and the minimum, and argues for no cause. ID
// "<analyzer>/insufficient-data".
func Insufficient(analyzer string, missing ...Basis) Finding {
	var ev []Evidence
	for _, b := range missing {
		ev = append(ev, b.Evidence())
	}
	return Finding{
		ID:         analyzer + "/insufficient-data",
		Title:      "Insufficient data for " + analyzer,
		Severity:   Info,
		Confidence: 1,
		Summary:    "Too little was recorded to judge: " + JoinBases(missing) + ".",
		Evidence:   ev,
		Remedy:     "Capture longer or while the process is under its usual load.",
	}
}
