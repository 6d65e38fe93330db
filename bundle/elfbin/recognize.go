package elfbin

import (
	"bytes"
	"encoding/binary"
	"io"
)

// etCore is the e_type of a core file (elf(5)), which bundle/elfcore
// recognizes instead.
const etCore = 4

// Recognize is the ELF executable's entry in bundle/ingest's sniffing
// table: head, the file's first bytes, starts with an ELF header (its
// first 18 bytes, through e_type) that is not a core's. A recognized file
// is described (Describe; IsGo tells a Go executable from the
// attributes); one whose headers cannot be read is still recognized,
// with the error.
func Recognize(head []byte, r io.ReaderAt, size int64) (bool, map[string]string, error) {
	if !bytes.HasPrefix(head, []byte("\x7fELF")) || len(head) < 18 {
		return false, nil, nil
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if head[5] == 2 { // EI_DATA: ELFDATA2MSB
		bo = binary.BigEndian
	}
	if bo.Uint16(head[16:]) == etCore {
		return false, nil, nil
	}
	a, err := Describe(r, size)
	if err != nil {
		return true, nil, err
	}
	return true, a, nil
}
