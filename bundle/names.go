package bundle

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Member names fixed by the format.
const (
	// ManifestName is the first member of every archive.
	ManifestName = "manifest.json"
	// TrailerName is the last member of every archive.
	TrailerName = "trailer.json"
	// ArtifactDir prefixes every stored artifact's member name.
	ArtifactDir = "artifacts/"
)

// CheckMemberName rejects names from tar and zip inputs that could point
// outside a destination if anyone ever wrote them to disk: absolute paths,
// ".." components, backslashes (a separator on Windows, and a way to smuggle
// "..\" past checks written for "/"), drive letters and NUL bytes.
func CheckMemberName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty member name")
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("member name %s contains a NUL byte", QuoteName(name))
	case strings.ContainsRune(name, '\\'):
		return fmt.Errorf("member name %s contains a backslash", QuoteName(name))
	case strings.HasPrefix(name, "/"):
		return fmt.Errorf("member name %s is an absolute path", QuoteName(name))
	case len(name) >= 2 && name[1] == ':' && unicode.IsLetter(rune(name[0])):
		return fmt.Errorf("member name %s starts with a drive letter", QuoteName(name))
	}
	for _, el := range strings.Split(name, "/") {
		if el == ".." {
			return fmt.Errorf("member name %s contains a \"..\" component", QuoteName(name))
		}
	}
	return nil
}

// QuoteName renders an untrusted name for logs and errors: control
// characters, invalid UTF-8 and bidirectional overrides (which can make
// "gpj.exe" read as "exe.jpg") become Go escapes.
func QuoteName(s string) string {
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

// FoldKey is the key under which two names collide on a case-insensitive or
// normalizing file system.
func FoldKey(name string) string {
	return strings.ToLower(norm.NFC.String(name))
}
