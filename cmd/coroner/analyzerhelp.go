package main

import (
	"fmt"
	"strings"

	"github.com/coroner/coroner/analyze"
)

// helpWidth is the column analyzer docs are wrapped at in --help: the
// 80-column terminal the rest of urfave/cli's help assumes.
const helpWidth = 80

// analyzerHelp renders each analyzer's Doc for --help: its name and title
// on one line, then its paragraphs indented under the title.
func analyzerHelp(set []*analyze.Analyzer) string {
	const indent = "      "
	var b strings.Builder
	for _, a := range set {
		fmt.Fprintf(&b, "\n\n  %s: %s", a.Name, a.DocTitle())
		_, body, _ := strings.Cut(a.Doc, "\n")
		for _, para := range strings.Split(strings.TrimSpace(body), "\n\n") {
			if para = strings.TrimSpace(para); para != "" {
				b.WriteString("\n")
				b.WriteString(wrapText(para, indent, helpWidth))
			}
		}
	}
	return b.String()
}

// wrapText fills words into lines of at most width columns, each starting
// with indent.
func wrapText(s, indent string, width int) string {
	var b strings.Builder
	line := indent
	for _, w := range strings.Fields(s) {
		if len(line) > len(indent) && len(line)+1+len(w) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += w
	}
	b.WriteString(line)
	return b.String()
}
