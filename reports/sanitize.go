package reports

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// cleanText makes an untrusted string safe to show to a person: invalid
// UTF-8 bytes become \xNN, and control characters, bidirectional overrides
// and isolates, line and paragraph separators and other invisible format
// characters become visible \uNNNN escapes, so nothing can reorder, hide or
// fake the text around it or drive a terminal. Printable text is unchanged.
func cleanText(s string) string {
	if !needsClean(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case hiddenRune(r):
			if r < 0x80 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// needsClean reports whether cleanText would change s.
func needsClean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n <= 1) || r == '\n' || r == '\t' || r == '\r' || hiddenRune(r) {
			return true
		}
		i += n
	}
	return false
}

// hiddenRune reports runes that must not reach a reader raw: C0 and C1
// controls and DEL (unicode.Cc), format characters such as the bidi
// embeddings, overrides, isolates and marks and zero-width joiners
// (unicode.Cf), the line and paragraph separators (Zl, Zp), private-use
// code points and unassigned ones.
func hiddenRune(r rune) bool {
	return unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) ||
		unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) ||
		unicode.Is(unicode.Co, r) || !unicode.IsGraphic(r) && r != ' '
}

// truncateRunes cuts s to at most n runes, marking the cut with "…".
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	rs := []rune(s)
	return string(rs[:n-1]) + "…"
}

// longestRun returns the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	best, cur := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			cur++
			if cur > best {
				best = cur
			}
		} else {
			cur = 0
		}
	}
	return best
}

// SafeText returns s with control, bidirectional and other invisible
// characters and invalid UTF-8 made visible as escapes: the form in which
// the human-readable reports show untrusted text, safe to print to a
// terminal.
func SafeText(s string) string { return cleanText(s) }
