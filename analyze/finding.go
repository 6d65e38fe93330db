package analyze

import (
	"encoding/json"
	"fmt"
)

// Severity ranks how much a finding matters.
type Severity int

// Severities, in increasing order.
const (
	Info Severity = iota
	Warning
	Critical
)

var severityNames = [...]string{"info", "warning", "critical"}

// String returns "info", "warning" or "critical".
func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity is the inverse of String.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if n == s {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want info, warning or critical)", s)
}

// MarshalJSON writes the severity's name.
func (s Severity) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads a severity name.
func (s *Severity) UnmarshalJSON(b []byte) error {
	var n string
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	v, err := ParseSeverity(n)
	*s = v
	return err
}

// Finding is one diagnosed problem (or notable fact), backed by evidence.
type Finding struct {
	// ID is stable across runs of the same analyzer version on the same
	// archive: "<analyzer>/<slug>".
	ID         string   `json:"id"`
	Analyzer   string   `json:"analyzer"`
	Version    string   `json:"analyzer_version"`
	Title      string   `json:"title"`
	Severity   Severity `json:"severity"`
	Confidence float64  `json:"confidence"`
	// Impact estimates the share of the process's capacity (CPU time or
	// goroutine wall time, 0–1) the diagnosed problem costs; the verdict
	// ranks causes of equal severity by it.
	Impact float64 `json:"impact,omitempty"`
	// Explains lists causes this finding accounts for as its consequences
	// (a sync.Pool that keeps missing allocates, which drives the GC); the
	// verdict ranks it above findings of those causes.
	Explains []string `json:"explains,omitempty"`
	// Cause is the root-cause class this finding argues for: one of the
	// Cause* constants, or empty for findings that are context only.
	Cause    string     `json:"cause,omitempty"`
	Culprit  *Culprit   `json:"culprit,omitempty"`
	Summary  string     `json:"summary,omitempty"`
	Evidence []Evidence `json:"evidence,omitempty"`
	Stacks   []Stack    `json:"stacks,omitempty"`
	Remedy   string     `json:"remedy,omitempty"`
	// Signature, when set, is the analyzer's own deduplication key for
	// what it found (the crash signature for crashes), which the verdict
	// uses as the incident signature; it should embed its algorithm
	// version.
	Signature string `json:"signature,omitempty"`
}

// Culprit is the code a finding blames.
type Culprit struct {
	Function string `json:"function"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
}

// String renders "pkg.Func (file.go:12)".
func (c *Culprit) String() string {
	if c == nil {
		return ""
	}
	if c.File == "" {
		return c.Function
	}
	return fmt.Sprintf("%s (%s:%d)", c.Function, c.File, c.Line)
}

// Evidence is one measured figure behind a finding, or one fact when
// Text is set.
type Evidence struct {
	Metric string  `json:"metric"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit,omitempty"`
	// Text is the evidence when it is a fact rather than a figure (a
	// signature, a signal name, the reader that read a core); Value is then
	// zero and not shown.
	Text string `json:"text,omitempty"`
	// Threshold is the value the metric was compared against, when it was.
	Threshold *float64 `json:"threshold,omitempty"`
	// Artifact is the archive path the figure came from.
	Artifact string `json:"artifact,omitempty"`
	Note     string `json:"note,omitempty"`
}

// Stack is a representative call stack, innermost frame first.
type Stack struct {
	Title  string   `json:"title"`
	Count  int64    `json:"count,omitempty"`
	Unit   string   `json:"unit,omitempty"`
	Frames []string `json:"frames"`
}

// Threshold returns a pointer to v, for Evidence.Threshold literals.
func Threshold(v float64) *float64 { return &v }

// Round rounds a non-negative evidence value to the four decimals results
// carry.
func Round(v float64) float64 { return float64(int64(v*10000+0.5)) / 10000 }

// Grade is the severity of a measured value v against its warning and
// critical thresholds (crit ≤ 0: the measure has no critical level), with
// the threshold that decided it: crit when v reaches it, else warn.
func Grade(v, warn, crit float64) (sev Severity, threshold float64) {
	switch {
	case crit > 0 && v >= crit:
		return Critical, crit
	case v >= warn:
		return Warning, warn
	}
	return Info, warn
}
