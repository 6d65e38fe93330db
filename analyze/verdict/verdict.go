// Package verdict ranks the findings of every other analyzer into one
// headline root cause — gc_stw, netpoll_spin, syncpool_contention,
// lock_wait, crash, deadlock or none — with its confidence, the chain of
// evidence behind it, the secondary contributors, and a signature that
// deduplicates incidents with the same root cause and culprit.
package verdict

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/crash"
	"github.com/coroner/coroner/internal/units"
)

// Analyzer is the verdict analyzer. It runs after every other analyzer
// of the set (analyze/all sets After) and reads their findings.
var Analyzer = &analyze.Analyzer{
	Name: "verdict",
	Doc: "one primary cause from all the findings\n\n" +
		"Ranks the other analyzers' findings into one primary cause (gc_stw, netpoll_spin, syncpool_contention, " +
		"lock_wait, crash, deadlock or none) with its confidence, evidence chain, secondary contributors and an " +
		"incident signature.",
	Version:    "2",
	RunsLast:   true,
	ResultType: reflect.TypeFor[*Result](),
	Run:        run,
}

// SignatureVersion is the version of the signature algorithm: bump it when
// the normalization below changes, so old and new signatures are never
// compared as equals.
const SignatureVersion = 1

// ambiguityMargin: when the runner-up has the same severity and a
// confidence within 0.05 of the leader, the evidence does not single out
// one cause and the verdict's confidence is lowered by ambiguityPenalty.
const (
	ambiguityMargin  = 0.05
	ambiguityPenalty = 0.8
)

// Result carries the verdict into the analysis result.
type Result struct {
	Verdict analyze.Verdict
}

// ContributeTo sets the result's verdict.
func (r *Result) ContributeTo(res *analyze.Result) { res.Verdict = r.Verdict }

// causePriority orders causes whose evidence is definitive ahead of
// statistical ones at equal severity: a crash or a deadlock ends the
// process by itself; the others degrade it.
var causePriority = map[string]int{analyze.CauseCrash: 2, analyze.CauseDeadlock: 1}

func run(pass *analyze.Pass) (any, error) {
	var cands []analyze.Finding
	for _, f := range pass.Findings() {
		if f.Cause != "" && f.Cause != analyze.CauseNone && f.Severity >= analyze.Warning {
			cands = append(cands, f)
		}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if pa, pb := causePriority[a.Cause], causePriority[b.Cause]; pa != pb {
			return pa > pb
		}
		if a.Impact != b.Impact {
			return a.Impact > b.Impact
		}
		if a.Confidence != b.Confidence {
			return a.Confidence > b.Confidence
		}
		if crossed(a) != crossed(b) {
			return crossed(a) > crossed(b)
		}
		return a.ID < b.ID
	})
	if len(cands) == 0 {
		return &Result{Verdict: none(pass)}, nil
	}
	promoteExplaining(cands)
	top := cands[0]
	v := analyze.Verdict{
		Cause:            top.Cause,
		Headline:         top.Title,
		Severity:         top.Severity,
		Confidence:       round(top.Confidence),
		Culprit:          top.Culprit,
		FindingID:        top.ID,
		Chain:            chain(top),
		SignatureVersion: SignatureVersion,
	}
	seen := map[string]bool{top.Cause: true}
	for _, f := range cands[1:] {
		v.Secondary = append(v.Secondary, f.ID)
		if explains(top, f.Cause) {
			// A consequence of the primary cause is not a rival to it.
			v.Chain = append(v.Chain, fmt.Sprintf("explains %s (%s) as its consequence", f.ID, f.Cause))
			seen[f.Cause] = true
			continue
		}
		if !seen[f.Cause] && f.Severity == top.Severity && top.Impact-f.Impact <= ambiguityMargin && top.Confidence-f.Confidence <= ambiguityMargin && causePriority[top.Cause] == causePriority[f.Cause] {
			v.Confidence = round(v.Confidence * ambiguityPenalty)
			v.Chain = append(v.Chain, fmt.Sprintf("ambiguous: %s (%s) is almost as strongly supported", f.ID, f.Cause))
		}
		seen[f.Cause] = true
	}
	v.Signature = Signature(top)
	if cr := crash.Of(pass); cr != nil && top.Cause == analyze.CauseCrash && cr.Signature != "" {
		// The crash signature skips the runtime's panic and signal frames
		// and normalizes closures, generics and inlining; it carries its
		// own algorithm version.
		v.Signature = cr.Signature
		v.SignatureVersion = cr.SignatureVersion
	}
	return &Result{Verdict: v}, nil
}

// promoteExplaining moves to the front a candidate whose finding explains
// the leading candidate's cause as its consequence — unless the leader
// explains that candidate's cause in turn, when neither is the other's
// consequence and the ranking stands.
func promoteExplaining(cands []analyze.Finding) {
	for i := 1; i < len(cands); i++ {
		if explains(cands[0], cands[i].Cause) {
			continue
		}
		for _, c := range cands[i].Explains {
			if c == cands[0].Cause && cands[i].Severity >= analyze.Warning && causePriority[cands[0].Cause] == 0 {
				f := cands[i]
				copy(cands[1:i+1], cands[:i])
				cands[0] = f
				return
			}
		}
	}
}

// explains reports whether f accounts for cause as its consequence.
func explains(f analyze.Finding, cause string) bool {
	for _, c := range f.Explains {
		if c == cause {
			return true
		}
	}
	return false
}

// none is the verdict when no analyzer argued for a cause.
func none(pass *analyze.Pass) analyze.Verdict {
	v := analyze.Verdict{Cause: analyze.CauseNone, Severity: analyze.Info, SignatureVersion: SignatureVersion}
	var checked []string
	for _, f := range pass.Findings() {
		if f.Analyzer != analyze.AnalysisName {
			checked = append(checked, f.Analyzer)
		}
	}
	checked = dedupe(checked)
	switch {
	case len(checked) == 0:
		v.Headline = "No root cause found: no analyzer found signal in the archive's artifacts"
		v.Confidence = 0.3
	default:
		v.Headline = "No root cause found: " + strings.Join(checked, ", ") + " within normal bounds"
		// More independent analyzers with data behind them make "nothing
		// wrong" more credible.
		v.Confidence = round(min(0.9, 0.5+0.1*float64(len(checked))))
	}
	for _, f := range pass.Findings() {
		if f.Severity == analyze.Warning && f.Analyzer == analyze.AnalysisName {
			v.Chain = append(v.Chain, "incomplete: "+f.Title)
			v.Confidence = round(v.Confidence * 0.7)
		}
	}
	v.Signature = "none"
	return v
}

// chain renders the evidence behind a finding, thresholds crossed first.
func chain(f analyze.Finding) []string {
	var over, rest []string
	for _, e := range f.Evidence {
		s := e.Metric + ": " + chainValue(e)
		if e.Artifact != "" {
			s += " from " + e.Artifact
		}
		if e.Threshold != nil && e.Text == "" {
			thr := figure(*e.Threshold, e.Unit)
			if e.Value >= *e.Threshold {
				over = append(over, s+" (≥ threshold "+thr+")")
				continue
			}
			s += " (threshold " + thr + ")"
		}
		rest = append(rest, s)
	}
	out := append(over, rest...)
	if f.Culprit != nil {
		out = append(out, "culprit: "+f.Culprit.String())
	}
	return out
}

func crossed(f analyze.Finding) int {
	n := 0
	for _, e := range f.Evidence {
		if e.Threshold != nil && e.Value >= *e.Threshold {
			n++
		}
	}
	return n
}

var (
	closureRE = regexp.MustCompile(`(\.func\d+)+(\.\d+)*$|\.gowrap\d+$`)
	genericRE = regexp.MustCompile(`\[[^\[\]]*\]`)
)

// NormalizeFunc strips what changes between builds of the same code from
// a function name: closure and go-wrapper numbering (func1, func2.3,
// gowrap1) and generic type arguments.
func NormalizeFunc(fn string) string {
	for {
		s := genericRE.ReplaceAllString(fn, "")
		if s == fn {
			break
		}
		fn = s
	}
	return closureRE.ReplaceAllString(fn, "")
}

// Signature is the incident signature of a primary finding. When the
// analyzer set one (the crash signature: site and frames, runtime panic
// frames skipped, its own algorithm version inside) it is used as is,
// prefixed by the cause; otherwise it is the cause
// and the normalized culprit function, hashed to a short stable ID and
// kept readable: "gc_stw:example.com/svc.(*Cache).Fill#1a2b3c4d".
func Signature(f analyze.Finding) string {
	if f.Signature != "" {
		return analyze.CanonicalSignature(f.Cause, f.Signature)
	}
	fn := "unknown"
	if f.Culprit != nil && f.Culprit.Function != "" {
		fn = NormalizeFunc(f.Culprit.Function)
	}
	h := sha256.Sum256([]byte(fmt.Sprintf("v%d\x00%s\x00%s", SignatureVersion, f.Cause, fn)))
	return analyze.CanonicalSignature(f.Cause, fn+"#"+hex.EncodeToString(h[:4]))
}

func dedupe(ss []string) []string {
	slices.Sort(ss)
	out := ss[:0]
	for i, s := range ss {
		if i == 0 || s != ss[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// chainValue renders an evidence's value as the reports show it: the
// fact when it is one, else the figure in its unit.
func chainValue(e analyze.Evidence) string {
	if e.Text != "" {
		return e.Text
	}
	return figure(e.Value, e.Unit)
}

// figure renders v in its unit (units.Format); a unit it does not know
// follows the number as it is.
func figure(v float64, unit string) string {
	s, ok := units.Format(v, unit)
	if !ok {
		s += " " + unit
	}
	return s
}

func round(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }
