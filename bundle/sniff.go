package bundle

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/coroner/coroner/bundle/elfbin"
	"github.com/coroner/coroner/bundle/elfcore"
	"github.com/coroner/coroner/bundle/perfdata"
	"github.com/coroner/coroner/bundle/pprofdata"
	"github.com/coroner/coroner/bundle/servicelog"
	"github.com/coroner/coroner/bundle/tracefile"
)

// sniffHead is how many leading bytes sniffing looks at before handing the
// file to a format's Describe.
const sniffHead = 64 << 10

// Magic numbers: ELF (elf(5) e_ident), perf.data (tools/perf/util/header.c:
// "PERFILE2", written in the host's byte order), tar (POSIX ustar magic at
// offset 257), zip (APPNOTE.TXT 4.3.7 local file header, 4.3.16 end of
// central directory for an empty zip).
var (
	magicELF      = []byte("\x7fELF")
	magicPerf     = []byte("PERFILE2")
	magicPerfSwap = []byte("2ELIFREP")
	magicUstar    = []byte("ustar")
	magicZip      = []byte("PK\x03\x04")
	magicZipEmpty = []byte("PK\x05\x06")
)

// Describer describes one artifact kind from its bytes, returning manifest
// attributes. perfdata.Describe and elfcore.Describe plug in here.
type Describer func(r io.ReaderAt, size int64) (map[string]string, error)

// Describers for kinds whose readers live in their own packages.
var (
	describeCore Describer = elfcore.Describe
	describePerf Describer = perfdata.Describe
)

// Sniff classifies the content of r by its bytes, never by its name, and
// returns its kind, what sniffing learned, and warnings (a recognized file
// whose details could not be read). Compressed and archive inputs are
// reported as KindOther with attribute "compression" or "container"; Ingest
// unwraps or expands them.
func Sniff(r io.ReaderAt, size int64) (Kind, map[string]string, []string) {
	return sniff(r, size, false)
}

// sniff is Sniff; quick reads a log's tail only as far back as its last
// traceback needs, for a command that reads the file once.
func sniff(r io.ReaderAt, size int64, quick bool) (Kind, map[string]string, []string) {
	head := make([]byte, min(size, sniffHead))
	n, err := r.ReadAt(head, 0)
	head = head[:n]
	if err != nil && !errors.Is(err, io.EOF) {
		return KindOther, nil, []string{fmt.Sprintf("reading: %v", err)}
	}
	switch {
	case bytes.HasPrefix(head, magicELF):
		return sniffELF(r, size, head)
	case bytes.HasPrefix(head, magicPerf) || bytes.HasPrefix(head, magicPerfSwap):
		return describeWith(KindPerfData, describePerf, r, size, nil)
	case bytes.HasPrefix(head, []byte("go 1.")):
		if a, err := tracefile.Describe(r, size); err == nil {
			return KindTrace, a, nil
		}
	case bytes.HasPrefix(head, magicGzip) || pprofdata.LooksLikeProto(head):
		if size <= pprofdata.MaxBytes || bytes.HasPrefix(head, magicGzip) {
			a, err := pprofdata.Describe(r, size)
			if err == nil {
				return KindPprof, a, nil
			}
			if errors.Is(err, pprofdata.ErrTooLarge) {
				return KindOther, map[string]string{"compression": compGzip}, nil
			}
		}
	}
	if c := compressionOf(head); c != "" {
		return KindOther, map[string]string{"compression": c}, nil
	}
	if c := containerOf(head); c != "" {
		return KindOther, map[string]string{"container": c}, nil
	}
	// A wrapped log is text around a service's bytes, which need not be
	// valid UTF-8 (a CRI record holds them as written).
	if isText(head) || servicelog.Detect(head) != servicelog.Plain {
		k, a := sniffText(r, size, head, quick)
		return k, a, nil
	}
	if sniffEnviron(head) {
		return KindEnviron, nil, nil
	}
	return KindOther, nil, nil
}

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

// ELF e_type values (elf(5)).
const etCore = 4

// sniffELF tells cores from executables by e_type and describes them.
func sniffELF(r io.ReaderAt, size int64, head []byte) (Kind, map[string]string, []string) {
	if len(head) < 18 {
		return KindOther, nil, []string{"ELF header truncated"}
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if head[5] == 2 { // EI_DATA: ELFDATA2MSB
		bo = binary.BigEndian
	}
	if bo.Uint16(head[16:]) == etCore {
		return describeWith(KindCore, describeCore, r, size, map[string]string{"elf_type": "core"})
	}
	a, err := elfbin.Describe(r, size)
	if err != nil {
		return KindELF, nil, []string{fmt.Sprintf("ELF headers unreadable: %v", err)}
	}
	if elfbin.IsGo(a) {
		return KindGoBinary, a, nil
	}
	return KindELF, a, nil
}

// describeWith runs d (when wired) for a kind already recognized by magic;
// a failing describer keeps the kind and adds a warning.
func describeWith(k Kind, d Describer, r io.ReaderAt, size int64, dflt map[string]string) (Kind, map[string]string, []string) {
	if d == nil {
		return k, dflt, nil
	}
	a, err := d(r, size)
	if err != nil {
		return k, dflt, []string{fmt.Sprintf("%s recognized by its magic, but unreadable: %v", k, err)}
	}
	return k, a, nil
}
