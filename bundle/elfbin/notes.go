package elfbin

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
)

// maxNoteBytes bounds how much of a note section is read when looking for
// build IDs. GNU build ID notes are 36 bytes; Go's build ID note is under
// 100. A note section is a handful of such notes.
const maxNoteBytes = 64 << 10

// Note types (elf(5), and Go's cmd/link): NT_GNU_BUILD_ID = 3 with owner
// "GNU"; Go's build ID note is type 4 with owner "Go".
const (
	ntGNUBuildID = 3
	ntGoBuildID  = 4
)

// BuildIDs returns the ELF file's GNU build ID, in hex, and its Go build
// ID, each from the first note that carries it in the file's note sections
// (".note.gnu.build-id" and ".note.go.buildid" in executables, ".note" in
// the vDSO); empty when there is none.
func BuildIDs(f *elf.File) (gnu, goID string) {
	for _, s := range f.Sections {
		if s.Type != elf.SHT_NOTE || s.Size > maxNoteBytes {
			continue
		}
		b, err := s.Data()
		if err != nil {
			continue
		}
		walkNotes(b, f.ByteOrder, func(name string, typ uint32, desc []byte) {
			switch {
			case gnu == "" && name == "GNU" && typ == ntGNUBuildID:
				gnu = hex.EncodeToString(desc)
			case goID == "" && name == "Go" && typ == ntGoBuildID:
				goID = string(desc)
			}
		})
	}
	return gnu, goID
}

// walkNotes calls note for each entry of an ELF note section's bytes
// (elf(5) "Notes": name and descriptor sizes, type, then the name and the
// descriptor, each padded to 4 bytes), stopping at the first that does
// not fit.
func walkNotes(b []byte, bo binary.ByteOrder, note func(name string, typ uint32, desc []byte)) {
	for len(b) >= 12 {
		namesz, descsz, typ := uint64(bo.Uint32(b)), uint64(bo.Uint32(b[4:])), bo.Uint32(b[8:])
		b = b[12:]
		nlen := align4(namesz)
		if nlen > uint64(len(b)) || descsz > uint64(len(b))-nlen {
			return
		}
		note(string(bytes.TrimRight(b[:namesz], "\x00")), typ, b[nlen:nlen+descsz])
		b = b[min(nlen+align4(descsz), uint64(len(b))):]
	}
}

func align4(n uint64) uint64 { return (n + 3) &^ 3 }
