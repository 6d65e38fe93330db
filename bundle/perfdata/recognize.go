package perfdata

import (
	"bytes"
	"io"
)

// Recognize is perf.data's entry in bundle/ingest's sniffing table: head,
// the file's first bytes, starts with the magic "PERFILE2", as written
// in either byte order (tools/perf/util/header.c). A recognized file is
// described (Describe); one whose header or attributes cannot be read is
// still recognized, with the error.
func Recognize(head []byte, r io.ReaderAt, size int64) (bool, map[string]string, error) {
	if !bytes.HasPrefix(head, []byte("PERFILE2")) && !bytes.HasPrefix(head, []byte("2ELIFREP")) {
		return false, nil, nil
	}
	a, err := Describe(r, size)
	if err != nil {
		return true, nil, err
	}
	return true, a, nil
}
