package bundle

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// checkMemberName rejects names from tar and zip inputs that could point
// outside a destination if anyone ever wrote them to disk: absolute paths,
// ".." components, backslashes (a separator on Windows, and a way to smuggle
// "..\" past checks written for "/"), drive letters and NUL bytes.
func checkMemberName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty member name")
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("member name %s contains a NUL byte", quoteName(name))
	case strings.ContainsRune(name, '\\'):
		return fmt.Errorf("member name %s contains a backslash", quoteName(name))
	case strings.HasPrefix(name, "/"):
		return fmt.Errorf("member name %s is an absolute path", quoteName(name))
	case len(name) >= 2 && name[1] == ':' && unicode.IsLetter(rune(name[0])):
		return fmt.Errorf("member name %s starts with a drive letter", quoteName(name))
	}
	for _, el := range strings.Split(name, "/") {
		if el == ".." {
			return fmt.Errorf("member name %s contains a \"..\" component", quoteName(name))
		}
	}
	return nil
}

// quoteName renders an untrusted name for logs and errors: control
// characters, invalid UTF-8 and bidirectional overrides (which can make
// "gpj.exe" read as "exe.jpg") become Go escapes.
func quoteName(s string) string {
	if !needsQuoting(s) {
		return strconv.Quote(s)
	}
	return strconv.QuoteToASCII(s)
}

// DisplayName returns s safe to print on a terminal: unchanged when it holds
// only printable characters, otherwise Go-quoted with escapes.
func DisplayName(s string) string {
	if !needsQuoting(s) {
		return s
	}
	return strconv.QuoteToASCII(s)
}

func needsQuoting(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || unicode.Is(unicode.Bidi_Control, r) || unicode.Is(unicode.Join_Control, r) {
			return true
		}
	}
	return false
}

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

// foldKey is the key under which two names collide on a case-insensitive or
// normalizing file system.
func foldKey(name string) string {
	return strings.ToLower(norm.NFC.String(name))
}
