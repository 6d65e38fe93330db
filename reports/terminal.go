package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"

	"github.com/coroner/coroner/analyze"
)

// termCell caps a table cell's width in runes so the summary fits an
// 80–160 column terminal; the files hold the full text.
const termCell = 60

// t cleans untrusted text for a terminal: escape sequences and other
// control characters become visible, so a hostile name cannot move the
// cursor, recolour or retitle the terminal.
func t(s string) string { return cleanText(s) }

// Terminal writes a compact summary: the verdict, then one table row per
// finding, then one line about pauses, goroutines and hot code.
func Terminal(w io.Writer, r *analyze.Result) error {
	v := r.Verdict
	var b strings.Builder
	fmt.Fprintf(&b, "Verdict: %s (%s, confidence %s)\n", t(orDash(v.Cause)), v.Severity, formatPercent(v.Confidence))
	if v.Headline != "" {
		fmt.Fprintf(&b, "  %s\n", t(v.Headline))
	}
	if v.Culprit != nil {
		fmt.Fprintf(&b, "  culprit: %s\n", t(v.Culprit.String()))
	}
	if i := primaryIndex(r); i >= 0 && r.Findings[i].Remedy != "" {
		fmt.Fprintf(&b, "  remedy:  %s\n", t(r.Findings[i].Remedy))
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if len(r.Findings) > 0 {
		tbl := tablewriter.NewTable(w)
		tbl.Header("#", "Severity", "Conf", "Cause", "Finding", "Culprit")
		for i, f := range r.Findings {
			culprit := ""
			if f.Culprit != nil {
				culprit = f.Culprit.Function
			}
			row := []string{fmt.Sprint(i + 1), f.Severity.String(), formatPercent(f.Confidence),
				cell(f.Cause), cell(f.Title), cell(culprit)}
			if err := tbl.Append(row); err != nil {
				return fmt.Errorf("terminal table: %w", err)
			}
		}
		if err := tbl.Render(); err != nil {
			return fmt.Errorf("terminal table: %w", err)
		}
	}
	var facts []string
	if len(r.Goroutines) > 0 {
		n := 0
		for _, g := range r.Goroutines {
			n += g.Count
		}
		facts = append(facts, fmt.Sprintf("%d goroutines in %d groups", n, len(r.Goroutines)))
	}
	if st := pauseStats(r.Pauses); len(st) > 0 {
		all := st[len(st)-1]
		facts = append(facts, fmt.Sprintf("%d pauses, longest %s", all.Count, formatDuration(all.Max)))
	}
	if top, total := topFrames(r.Flame, 1); len(top) > 0 {
		facts = append(facts, fmt.Sprintf("hottest %s (%s self)", cell(top[0].Name), share(top[0].Self, total)))
	}
	failed := 0
	for _, a := range r.Analyzers {
		if a.Status != "ok" {
			failed++
		}
	}
	if failed > 0 {
		facts = append(facts, plural(failed, "analyzer", "analyzers")+" did not finish")
	}
	if len(r.Warnings) > 0 {
		facts = append(facts, plural(len(r.Warnings), "warning", "warnings"))
	}
	if len(facts) > 0 {
		if _, err := fmt.Fprintln(w, strings.Join(facts, " · ")); err != nil {
			return err
		}
	}
	return nil
}

func cell(s string) string { return truncateRunes(t(s), termCell) }

// plural renders "1 warning" or "3 warnings".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
