package reports

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coroner/coroner/analyze"
)

// Source listings are laid out as `go tool pprof -list` lays them out:
// per sample kind a flat and a cumulative column, the line number, the
// source text. The Markdown and HTML reports show the same rows, in a
// fenced block and a <pre>.

// sourceTabWidth is the width tabs in source text are expanded to, as
// gofmt'd Go is shown by GitHub and GitLab.
const sourceTabWidth = 4

// sourceColumn is one value column of a listing.
type sourceColumn struct {
	kind, unit string
	cum        bool
}

// sourceColumns lists the flat and cumulative columns of the result's
// sample kinds; kinds the result does not declare but lines carry are
// shown too, by name.
func sourceColumns(r *analyze.Result) []sourceColumn {
	var cols []sourceColumn
	seen := map[string]bool{}
	addKind := func(name, unit string) {
		if !seen[name] {
			seen[name] = true
			cols = append(cols, sourceColumn{name, unit, false}, sourceColumn{name, unit, true})
		}
	}
	if r.Lines != nil {
		for _, k := range r.Lines.Kinds {
			addKind(k.Name, k.Unit)
		}
	}
	if r.Source != nil {
		for _, l := range r.Source.Listings {
			for _, s := range l.Lines {
				for _, k := range slices.Sorted(maps.Keys(s.Values)) {
					addKind(k, "")
				}
			}
		}
	}
	return cols
}

// sourceHeader is the rows' header line.
func sourceHeader(cols []sourceColumn, numWidth int) string {
	var b strings.Builder
	for _, c := range cols {
		name := c.kind + " flat"
		if c.cum {
			name = c.kind + " cum"
		}
		fmt.Fprintf(&b, "%12s", cleanText(truncateRunes(name, 11)))
	}
	fmt.Fprintf(&b, "  %*s  %s", numWidth+1, "line", "")
	return strings.TrimRight(b.String(), " ")
}

// sourceRow is one line of a listing: values, a marker on target lines,
// the line number and the text, tabs expanded and made safe to show.
func sourceRow(cols []sourceColumn, numWidth int, l analyze.SourceLine) string {
	var b strings.Builder
	for _, c := range cols {
		v := l.Values[c.kind]
		n := v.Flat
		if c.cum {
			n = v.Cum
		}
		fmt.Fprintf(&b, "%12s", sourceAmount(n, c.unit))
	}
	mark := " "
	if l.Target {
		mark = "→"
	}
	fmt.Fprintf(&b, "  %s%*d  %s", mark, numWidth, l.Line, cleanText(expandTabs(l.Text)))
	return strings.TrimRight(b.String(), " ")
}

// listingRow is one row of a listing as shown: the header, a gap marker
// or a source line (target when a culprit or hot line).
type listingRow struct {
	text   string
	target bool
}

// sourceRows are a listing's header and rows, with "⋮" between windows
// that do not touch.
func sourceRows(cols []sourceColumn, l analyze.Listing) []listingRow {
	width := 1
	for _, s := range l.Lines {
		width = max(width, len(strconv.Itoa(s.Line)))
	}
	out := []listingRow{{text: sourceHeader(cols, width)}}
	for i, s := range l.Lines {
		if i > 0 && s.Line > l.Lines[i-1].Line+1 {
			out = append(out, listingRow{text: fmt.Sprintf("%*s", len(cols)*12+3+width, "⋮")})
		}
		out = append(out, listingRow{text: sourceRow(cols, width, s), target: s.Target})
	}
	return out
}

// rowTexts returns the rows' text.
func rowTexts(rows []listingRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.text
	}
	return out
}

// sourceAmount formats a sample value in its unit; "." for none, as
// pprof -list prints.
func sourceAmount(v int64, unit string) string {
	if v == 0 {
		return "."
	}
	switch unit {
	case "ns":
		return formatDuration(time.Duration(v))
	case "bytes":
		return formatBytes(float64(v))
	}
	return strconv.FormatInt(v, 10)
}

// expandTabs replaces tabs with spaces up to the next tab stop, counting
// columns in runes.
func expandTabs(s string) string {
	var b strings.Builder
	col := 0
	for {
		before, after, found := strings.Cut(s, "\t")
		if !found && b.Len() == 0 {
			return s
		}
		b.WriteString(before)
		if !found {
			return b.String()
		}
		col += utf8.RuneCountInString(before)
		n := sourceTabWidth - col%sourceTabWidth
		b.WriteString(strings.Repeat(" ", n))
		col += n
		s = after
	}
}

// targetTexts say why a listing was made, one entry per target line, in
// coroner's words; the finding IDs, kinds and functions they quote come
// from the result.
func targetTexts(ts []analyze.Target, quote func(string) string) []string {
	var out []string
	for i := 0; i < len(ts); {
		j := i
		var why, hot, funcs []string
		for ; j < len(ts) && ts[j].Line == ts[i].Line; j++ {
			t := ts[j]
			switch {
			case t.FindingID != "":
				why = append(why, "culprit of "+quote(t.FindingID))
			case t.HotKind != "":
				hot = append(hot, quote(t.HotKind))
			}
			if t.Function != "" && !slices.Contains(funcs, t.Function) {
				funcs = append(funcs, t.Function)
			}
		}
		if len(hot) > 0 {
			why = append(why, "hottest line of "+strings.Join(hot, ", "))
		}
		s := fmt.Sprintf("line %d: %s", ts[i].Line, strings.Join(why, "; "))
		for k, f := range funcs {
			funcs[k] = quote(f)
		}
		if len(funcs) > 0 {
			s += " in " + strings.Join(funcs, ", ")
		}
		out = append(out, s)
		i = j
	}
	return out
}
