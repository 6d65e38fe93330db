package source

import (
	"bytes"
	"strconv"
	"strings"
)

// maxGoModBytes bounds the go.mod read to find its module line, which by
// convention comes first; the go.mod files of large modules (kubernetes,
// with hundreds of requirements) stay under 64 KiB.
const maxGoModBytes = 256 << 10

// modulePath returns the module path a go.mod declares ("module
// example.com/x", possibly quoted, possibly with a // comment), or "" when
// there is no module line.
func modulePath(data []byte) string {
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		s := string(line)
		if i := strings.Index(s, "//"); i >= 0 {
			s = s[:i]
		}
		s = strings.TrimSpace(s)
		rest, ok := strings.CutPrefix(s, "module")
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t' && rest[0] != '"') {
			continue
		}
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, `"`) || strings.HasPrefix(rest, "`") {
			u, err := strconv.Unquote(rest)
			if err != nil {
				return ""
			}
			rest = u
		}
		if rest == "" || strings.ContainsAny(rest, " \t\r\"`") {
			return ""
		}
		return rest
	}
	return ""
}

// escapeModule applies the module cache's case encoding: each upper-case
// letter becomes "!" and its lower case (golang.org/x/mod/module.EscapePath),
// so github.com/BurntSushi/toml is stored as github.com/!burnt!sushi/toml.
func escapeModule(p string) string {
	if !strings.ContainsFunc(p, func(r rune) bool { return 'A' <= r && r <= 'Z' }) {
		return p
	}
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
