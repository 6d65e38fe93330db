package elfcore

import (
	"bytes"
	"encoding/binary"
	"io"
)

// Recognize is the ELF core's entry in bundle/ingest's sniffing table:
// head, the file's first bytes, starts with an ELF header whose e_type is
// ET_CORE (elf(5)): 18 bytes say it. A recognized core is described (Describe); one whose
// contents cannot be read is still recognized, with the error and what
// its header said (elf_type "core").
func Recognize(head []byte, r io.ReaderAt, size int64) (bool, map[string]string, error) {
	if !bytes.HasPrefix(head, []byte("\x7fELF")) || len(head) < 18 {
		return false, nil, nil
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if head[5] == elfData2MSB {
		bo = binary.BigEndian
	}
	if bo.Uint16(head[16:]) != etCore {
		return false, nil, nil
	}
	a, err := Describe(r, size)
	if err != nil {
		return true, map[string]string{"elf_type": "core"}, err
	}
	return true, a, nil
}
