package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/elfbin"
	"github.com/coroner/coroner/bundle/elfcore"
	"github.com/coroner/coroner/bundle/perfdata"
	"github.com/coroner/coroner/bundle/pprofdata"
	"github.com/coroner/coroner/bundle/procfs"
	"github.com/coroner/coroner/bundle/servicelog"
	"github.com/coroner/coroner/bundle/tracefile"
)

// sniffHead is how many leading bytes sniffing reads before handing the
// file to the recognizers.
const sniffHead = 64 << 10

// A Recognizer tells whether a file is in one format, from head (its
// first bytes, up to 64 KiB) and, to describe it, the whole file r of
// size bytes. ok false means not this format: the next recognizer is
// tried. ok true with attrs recognizes it; ok true with an error
// recognizes it by its magic although its details could not be read
// (attrs then hold what is known). Each reader package exports its own
// (elfcore.Recognize, perfdata.Recognize, …).
type Recognizer func(head []byte, r io.ReaderAt, size int64) (ok bool, attrs map[string]string, err error)

// format is one entry of the sniffing table.
type format struct {
	kind      bundle.Kind
	recognize Recognizer
	// refine, when set, tells the kind from a recognized file's
	// attributes (a Go executable among ELF executables).
	refine func(attrs map[string]string) bundle.Kind
	// unreadable, when set, words the warning for a file recognized
	// whose details could not be read.
	unreadable func(err error) string
}

// formats is the sniffing table, tried in order until a recognizer says
// yes, as pprof's profile.ParseData tries its parsers. Binary formats
// come first, told by their magic; compressed files and archives are
// reported as KindOther with the attribute "compression" or "container",
// which Run unwraps or expands. A file none of them recognizes is looked
// at as text (sniffText, its own table), then as an environment block.
var formats = []format{
	{kind: bundle.KindOther, recognize: truncatedELF, unreadable: func(err error) string { return err.Error() }},
	{kind: bundle.KindCore, recognize: elfcore.Recognize},
	{kind: bundle.KindELF, recognize: elfbin.Recognize, refine: goBinary,
		unreadable: func(err error) string { return fmt.Sprintf("ELF headers unreadable: %v", err) }},
	{kind: bundle.KindPerfData, recognize: perfdata.Recognize},
	{kind: bundle.KindTrace, recognize: tracefile.Recognize},
	{kind: bundle.KindPprof, recognize: pprofdata.Recognize},
	{kind: bundle.KindOther, recognize: compressed},
	{kind: bundle.KindOther, recognize: container},
}

// Sniff classifies the content of r by its bytes, never by its name, and
// returns its kind, what sniffing learned, and warnings (a recognized file
// whose details could not be read). Compressed and archive inputs are
// reported as KindOther with attribute "compression" or "container"; Run
// unwraps or expands them.
func Sniff(r io.ReaderAt, size int64) (bundle.Kind, map[string]string, []string) {
	return sniff(r, size, false)
}

// sniff is Sniff; quick reads a log's tail only as far back as its last
// traceback needs, for a command that reads the file once.
func sniff(r io.ReaderAt, size int64, quick bool) (bundle.Kind, map[string]string, []string) {
	head := make([]byte, min(size, sniffHead))
	n, err := r.ReadAt(head, 0)
	head = head[:n]
	if err != nil && !errors.Is(err, io.EOF) {
		return bundle.KindOther, nil, []string{fmt.Sprintf("reading: %v", err)}
	}
	for _, f := range formats {
		ok, attrs, err := f.recognize(head, r, size)
		switch {
		case !ok:
			continue
		case err != nil:
			return f.kind, attrs, []string{f.warning(err)}
		case f.refine != nil:
			return f.refine(attrs), attrs, nil
		}
		return f.kind, attrs, nil
	}
	// A wrapped log is text around a service's bytes, which need not be
	// valid UTF-8 (a CRI record holds them as written).
	if isText(head) || servicelog.Detect(head) != servicelog.Plain {
		k, a := sniffText(r, size, head, quick)
		return k, a, nil
	}
	if procfs.IsEnviron(head) {
		return bundle.KindEnviron, nil, nil
	}
	return bundle.KindOther, nil, nil
}

// warning words the warning for a file f recognized whose details could
// not be read.
func (f format) warning(err error) string {
	if f.unreadable != nil {
		return f.unreadable(err)
	}
	return fmt.Sprintf("%s recognized by its magic, but unreadable: %v", f.kind, err)
}

// truncatedELF recognizes a file that starts with ELF's magic (elf(5)
// e_ident) but ends before e_type, its 18th byte, says what it is: it is
// kept as other, with a warning.
func truncatedELF(head []byte, _ io.ReaderAt, _ int64) (bool, map[string]string, error) {
	if bytes.HasPrefix(head, []byte("\x7fELF")) && len(head) < 18 {
		return true, nil, errors.New("ELF header truncated")
	}
	return false, nil, nil
}

// goBinary is the kind of a recognized ELF executable: a Go executable
// when the Go toolchain's build information is in it.
func goBinary(attrs map[string]string) bundle.Kind {
	if elfbin.IsGo(attrs) {
		return bundle.KindGoBinary
	}
	return bundle.KindELF
}

// compressed recognizes a gzip, zstd, xz or lz4 file by its magic.
func compressed(head []byte, _ io.ReaderAt, _ int64) (bool, map[string]string, error) {
	if c := bundle.CompressionOf(head); c != "" {
		return true, map[string]string{"compression": c}, nil
	}
	return false, nil, nil
}

// container recognizes a tar or zip archive by its magic.
func container(head []byte, _ io.ReaderAt, _ int64) (bool, map[string]string, error) {
	if c := containerOf(head); c != "" {
		return true, map[string]string{"container": c}, nil
	}
	return false, nil, nil
}

// Magic numbers of the archive formats: tar (POSIX ustar magic at offset
// 257), zip (APPNOTE.TXT 4.3.7 local file header, 4.3.16 end of central
// directory for an empty zip).
var (
	magicUstar    = []byte("ustar")
	magicZip      = []byte("PK\x03\x04")
	magicZipEmpty = []byte("PK\x05\x06")
)

// containerOf names the archive format starting head ("tar", "zip"), or "".
func containerOf(head []byte) string {
	switch {
	case len(head) >= 262 && bytes.Equal(head[257:262], magicUstar):
		return "tar"
	case bytes.HasPrefix(head, magicZip) || bytes.HasPrefix(head, magicZipEmpty):
		return "zip"
	}
	return ""
}
