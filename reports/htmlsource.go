package reports

import (
	"fmt"
	"strings"

	"github.com/coroner/coroner/analyze"
)

// htmlSource renders the source listings as the Markdown report does, each
// file in a collapsible block, its rows in a <pre> with the target lines
// marked; every string is escaped.
func htmlSource(b *strings.Builder, r *analyze.Result) {
	v := r.Source
	if v == nil {
		return
	}
	b.WriteString("<section id=\"source\">\n<h2>Source</h2>\n")
	fmt.Fprintf(b, "<p class=\"note\">%d lines either side of each culprit and hottest line, with the samples charged to each line (flat: the line itself; cum: the line and what it called).</p>\n", v.Context)
	if len(v.Listings) == 0 {
		b.WriteString("<p class=\"note\">No finding names a source line, and no profile sampled user code.</p>\n")
	}
	cols := sourceColumns(r)
	code := func(s string) string { return "<code>" + h(s) + "</code>" }
	for _, l := range v.Listings {
		fmt.Fprintf(b, "<details class=\"source\" open><summary><code>%s</code></summary>\n<ul>\n", h(l.File))
		for _, t := range targetTexts(l.Targets, code) {
			fmt.Fprintf(b, "<li>%s</li>\n", t)
		}
		b.WriteString("</ul>\n")
		if l.Path == "" {
			b.WriteString("<p class=\"note\">Not found under the source trees.</p>\n</details>\n")
			continue
		}
		fmt.Fprintf(b, "<p class=\"note\">Read from <code>%s</code> in <code>%s</code>.</p>\n", h(l.Path), h(l.Root))
		for _, s := range l.Stale {
			fmt.Fprintf(b, "<p><strong>Not the file built?</strong> %s</p>\n", h(s))
		}
		b.WriteString("<pre>")
		for i, row := range sourceRows(cols, l) {
			if i > 0 {
				b.WriteByte('\n')
			}
			if row.target {
				b.WriteString("<strong>" + h(row.text) + "</strong>")
			} else {
				b.WriteString(h(row.text))
			}
		}
		b.WriteString("</pre>\n</details>\n")
	}
	if len(v.Warnings) > 0 {
		b.WriteString("<h3>Source warnings</h3>\n<ul>\n")
		for _, w := range v.Warnings {
			fmt.Fprintf(b, "<li>%s</li>\n", h(w))
		}
		b.WriteString("</ul>\n")
	}
	b.WriteString("</section>\n")
}
