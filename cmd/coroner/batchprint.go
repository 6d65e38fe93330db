package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/coroner/coroner/internal/batch"
)

// printBatchSummary prints failures as a table and the counts, naming the
// summary file.
func printBatchSummary(w io.Writer, s *batch.Summary, summaryPath string) {
	if s.Failed > 0 {
		t := newTable(w)
		t.Header("FAILED ARCHIVE", "EXIT", "ERROR")
		for _, e := range s.Entries {
			if e.Status == batch.StatusFailed {
				_ = t.Append(sanitizeTerm(displayName(e.Input)), fmt.Sprint(e.ExitCode), sanitizeTerm(clip(firstLineOf(e.Error), 160)))
			}
		}
		_ = t.Render()
	}
	fmt.Fprintf(w, "%d analyzed, %d failed", s.OK, s.Failed)
	if s.Interrupted > 0 {
		fmt.Fprintf(w, ", %d not finished", s.Interrupted)
	}
	fmt.Fprintf(w, "; summary in %s\n", summaryPath)
}

// printDiff prints a diff as a table, one row per changed field.
func printDiff(w io.Writer, d *batch.Diff) error {
	fmt.Fprintf(w, "%d incidents compared, %d unchanged, %d changed/added/removed (%s → %s)\n",
		d.Compared, d.Unchanged, len(d.Changes), sanitizeTerm(d.Old), sanitizeTerm(d.New))
	if len(d.Changes) == 0 {
		return nil
	}
	t := newTable(w)
	t.Header("INCIDENT", "DIGEST", "CHANGE", "FIELD", "OLD", "NEW")
	for _, c := range d.Changes {
		id := c.IncidentID
		if id == "" {
			id = c.Input
		}
		if len(c.Fields) == 0 {
			_ = t.Append(sanitizeTerm(id), short(c.ArchiveDigest), c.Kind, "", "", "")
		}
		for _, f := range c.Fields {
			_ = t.Append(sanitizeTerm(id), short(c.ArchiveDigest), c.Kind, f.Field,
				sanitizeTerm(clip(f.Old, 80)), sanitizeTerm(clip(f.New, 80)))
		}
	}
	return t.Render()
}

// writeJSONOut writes v as indented JSON.
func writeJSONOut(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// sanitizeTerm replaces control characters (escape sequences included)
// from untrusted strings before they reach a terminal.
func sanitizeTerm(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func firstLineOf(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// clip shortens s to n runes with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// short abbreviates a digest for tables.
func short(d string) string {
	if len(d) > 12 {
		return d[:12]
	}
	return d
}
