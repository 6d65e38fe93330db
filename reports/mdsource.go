package reports

import (
	"fmt"
	"strings"

	"github.com/coroner/coroner/analyze"
)

// prioSource places the source listings among the Markdown sections: after
// the findings and their stacks, which they illustrate, before the
// profile-wide tables (hot functions, pauses, inventory).
const prioSource = 390

// mdSource renders the source listings: per file, where it was found, the
// lines it was listed for, any sign that it is not the file built, and the
// rows in a fence no line of source can close.
func mdSource(r *analyze.Result) string {
	v := r.Source
	var b strings.Builder
	fmt.Fprintf(&b, "## Source\n\n%d lines either side of each culprit and hottest line, with the samples charged to each line (flat: the line itself; cum: the line and what it called).\n\n", v.Context)
	if len(v.Listings) == 0 {
		b.WriteString("No finding names a source line, and no profile sampled user code.\n\n")
	}
	cols := sourceColumns(r)
	for _, l := range v.Listings {
		fmt.Fprintf(&b, "### %s\n\n", mdCode(l.File))
		for _, t := range targetTexts(l.Targets, mdCode) {
			b.WriteString("- " + t + "\n")
		}
		b.WriteString("\n")
		if l.Path == "" {
			b.WriteString("Not found under the source trees.\n\n")
			continue
		}
		fmt.Fprintf(&b, "Read from %s in %s.\n\n", mdCode(l.Path), mdCode(l.Root))
		for _, s := range l.Stale {
			b.WriteString("> **Not the file built?** " + mdCode(s) + "\n\n")
		}
		b.WriteString(mdFence(rowTexts(sourceRows(cols, l))))
		b.WriteString("\n")
	}
	if len(v.Warnings) > 0 {
		b.WriteString("**Source warnings:**\n\n")
		for _, w := range v.Warnings {
			b.WriteString("- " + mdCode(w) + "\n")
		}
		b.WriteString("\n")
	}
	return b.String()
}
