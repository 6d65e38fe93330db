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

// mdSpecials are the ASCII characters that can start Markdown syntax
// anywhere in a line: escapes, code spans, emphasis, links and images,
// raw HTML and autolinks, headings, table cells, strikethrough, entities
// and math. mdText backslash-escapes each of them, which CommonMark allows
// for any ASCII punctuation and renders as the character itself.
const mdSpecials = "\\`*_[]<>!#|~&$"

// mdText renders untrusted text as Markdown prose that shows the text
// literally and stays inert in GitHub- and GitLab-flavoured Markdown:
// control and invisible characters are made visible (cleanText), every
// Markdown special is backslash-escaped, so no emphasis, link, image, HTML
// or table cell can start; extended autolinks are broken by escaping the
// colon of "://" and the dot of "www."; an "@" before a letter or digit
// becomes the fullwidth "＠" (U+FF20), which no host turns into a mention
// or an e-mail link; and
// what would start a block at the beginning of a line (a list marker,
// "1.", a setext underline) is escaped. Surrounding spaces are dropped, as
// they would otherwise make a line break or a code block.
func mdText(s string) string {
	s = strings.TrimSpace(cleanText(s))
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '@' && i+1 < len(s) && isAlnum(s[i+1]):
			b.WriteString("＠")
		case strings.IndexByte(mdSpecials, c) >= 0:
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == ':' && strings.HasPrefix(s[i+1:], "//"),
			c == '.' && i >= 3 && strings.EqualFold(s[i-3:i], "www"),
			i == 0 && (c == '-' || c == '+' || c == '='),
			(c == '.' || c == ')') && i > 0 && allDigits(s[:i]):
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// allDigits reports whether s is a non-empty run of ASCII digits: the
// start of an ordered list item when a "." or ")" follows it.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// isAlnum reports whether c is an ASCII letter or digit, which can start a
// user, team or e-mail name after "@".
func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
