package census

import (
	"fmt"
	"strings"

	"github.com/coroner/coroner/analyze"
)

// reportCoreNotes reports what a complete census of a core warned about
// (an incomplete one's warnings have their own finding): chiefly that
// coroner's core reader refused the core and delve read it from an
// extracted copy, or that the core was read from an extracted copy
// because its pages lay too scattered to read in place.
func reportCoreNotes(pass *analyze.Pass, r *Result) {
	for _, c := range r.All {
		if c.Format != "core" || !c.Complete || len(c.Warnings) == 0 {
			continue
		}
		pass.Report(analyze.Finding{
			ID:         "goroutines/core-notes-" + analyze.Slug(c.Source),
			Title:      fmt.Sprintf("how core %s was read", c.Source),
			Severity:   analyze.Info,
			Confidence: 1,
			Summary:    strings.Join(c.Warnings, "; ") + fmt.Sprintf(" (read by %s)", c.Reader),
		})
	}
}
