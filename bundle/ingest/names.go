package ingest

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/coroner/coroner/bundle"
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

// uniqueName returns "artifacts/<kind>/<base>", adding "-2", "-3", … before
// the extension while the name collides, ignoring case and Unicode
// normalization, with one already used.
func uniqueName(kind, base string, used map[string]bool) string {
	ext := path.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	name := bundle.ArtifactDir + kind + "/" + base
	for i := 2; used[bundle.FoldKey(name)]; i++ {
		name = fmt.Sprintf("%s%s/%s-%d%s", bundle.ArtifactDir, kind, stem, i, ext)
	}
	used[bundle.FoldKey(name)] = true
	return name
}

// name gives every candidate its member name. Names depend only on the
// inputs (kind and original name, in sorted order), so they are fixed
// before anything is hashed.
func (c *gatherer) name() {
	sort.Slice(c.files, func(i, j int) bool {
		a, b := c.files[i], c.files[j]
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		return a.original < b.original
	})
	used := map[string]bool{}
	for _, cd := range c.files {
		cd.name = uniqueName(string(cd.kind), storedBase(cd.original), used)
	}
}
