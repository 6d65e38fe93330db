package ingest

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// maxStoredBase bounds the base name of a stored member so that
// "artifacts/<kind>/<base>" always fits the 100-byte ustar name field and
// the archive stays readable by every tar.
const maxStoredBase = 64

// storedBase maps an original name to a portable base name for the archive:
// NFC-normalized, ASCII letters, digits, '.', '_' and '-' kept, anything
// else replaced by '_'. Uniqueness is settled by the caller.
func storedBase(original string) string {
	base := path.Base(strings.ReplaceAll(original, "\\", "/"))
	base = norm.NFC.String(base)
	var b strings.Builder
	for _, r := range base {
		switch {
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' || r == '-'):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.TrimLeft(b.String(), ".")
	if s == "" {
		s = "file"
	}
	if len(s) > maxStoredBase {
		s = s[:maxStoredBase]
	}
	return s
}
