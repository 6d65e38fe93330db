package analyze

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/coroner/coroner/internal/version"
)

// digester is implemented by sources that know their content ID.
type digester interface{ Digest() string }

// assemble builds the Result from the finished nodes, in dependency order.
func assemble(src Source, list []*node) *Result {
	m := src.Manifest()
	r := &Result{
		SchemaVersion: SchemaVersion,
		Tool:          version.Tool(),
		Incident:      Incident{ID: m.ID, Title: m.Title, Labels: m.Labels, Time: m.Time},
		Verdict:       Verdict{Cause: CauseNone, Headline: "no analyzer named a cause"},
		Findings:      []Finding{},
		Inventory:     []Item{},
		Analyzers:     []Run{},
	}
	if d, ok := src.(digester); ok {
		r.Incident.ArchiveDigest = d.Digest()
	}
	for _, a := range m.Artifacts {
		r.Inventory = append(r.Inventory, Item{Path: a.Path, Kind: string(a.Kind), Size: a.Size,
			SHA256: a.SHA256, BuildID: a.Attrs["build_id"], Attrs: a.Attrs})
	}
	r.Warnings = append(r.Warnings, m.Warnings...)
	rank := map[string]int{AnalysisName: -1}
	for _, n := range list {
		n.mu.Lock()
		rank[n.a.Name] = n.index
		if !n.a.Internal {
			r.Analyzers = append(r.Analyzers, runRecord(n))
		}
		r.Findings = append(r.Findings, n.findings...)
		r.Warnings = append(r.Warnings, n.warnings...)
		if n.status == StatusFailed || n.status == StatusTimeout {
			r.Findings = append(r.Findings, failureFinding(n))
		}
		n.mu.Unlock()
	}
	sortFindings(r.Findings, rank)
	for _, n := range list {
		if c, ok := n.result.(Contributor); ok && n.status == StatusOK {
			c.ContributeTo(r)
		}
	}
	return r
}

// runRecord is the Run record of a finished node.
func runRecord(n *node) Run {
	run := Run{Name: n.a.Name, Version: n.a.Version, Status: n.status, Error: n.err}
	for p := range n.used {
		run.Used = append(run.Used, p)
	}
	slices.Sort(run.Used)
	return run
}

// failureFinding is the finding about the analysis for a failed or
// timed-out analyzer.
func failureFinding(n *node) Finding {
	what := "failed"
	if n.status == StatusTimeout {
		what = "timed out"
	}
	msg := n.err
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return Finding{
		ID:         AnalysisName + "/" + n.a.Name + "-" + n.status,
		Analyzer:   AnalysisName,
		Version:    n.a.Version,
		Title:      fmt.Sprintf("analyzer %s %s: %s", n.a.Name, what, msg),
		Severity:   Warning,
		Confidence: 1,
		Summary:    n.err,
		Remedy:     "The report lacks this analyzer's conclusions; its dependents were skipped. Re-run with a larger --timeout, or report the error with the archive.",
	}
}

// sortFindings orders findings deterministically: severity (highest first),
// then the analyzer's position in the run order, then ID and title.
func sortFindings(fs []Finding, rank map[string]int) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if ra, rb := rank[a.Analyzer], rank[b.Analyzer]; ra != rb {
			return ra < rb
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.Title < b.Title
	})
}

// Slug turns a title into a stable lowercase ID component.
func Slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 60 {
			break
		}
	}
	return strings.TrimRight(b.String(), "-")
}
