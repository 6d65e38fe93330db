package reports

import (
	"strings"
)

// mdCode renders untrusted text as a Markdown code span, the only place
// Markdown shows text literally: no emphasis, HTML, links, autolinks or
// @mentions are recognized inside it. The delimiter is one backtick longer
// than the longest backtick run in the text, so the text cannot close the
// span; a space pads text that starts or ends with a backtick or space.
// Empty text renders as an empty string.
func mdCode(s string) string {
	s = cleanText(s)
	if s == "" {
		return ""
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if s[0] == '`' || s[len(s)-1] == '`' || s[0] == ' ' || s[len(s)-1] == ' ' {
		s = " " + s + " "
	}
	return fence + s + fence
}

// mdCell renders untrusted text as a code span inside a GFM table cell:
// table rows are split on unescaped pipes before code spans are parsed, so
// every pipe is escaped (GFM unescapes \| inside code spans in cells).
func mdCell(s string) string {
	c := mdCode(s)
	if !strings.Contains(c, "|") {
		return c
	}
	return strings.ReplaceAll(c, "|", `\|`)
}

// mdFence renders untrusted lines as a fenced code block whose fence is
// longer than any backtick run in the lines, so no line can close it.
func mdFence(lines []string) string {
	clean := make([]string, len(lines))
	n := 3
	for i, l := range lines {
		clean[i] = cleanText(l)
		if r := longestRun(clean[i], '`') + 1; r > n {
			n = r
		}
	}
	fence := strings.Repeat("`", n)
	var b strings.Builder
	b.WriteString(fence)
	b.WriteString("text\n")
	for _, l := range clean {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	b.WriteString(fence)
	b.WriteByte('\n')
	return b.String()
}
