package tracefile

import (
	"bytes"
	"io"
)

// Recognize is the execution trace's entry in bundle/ingest's sniffing
// table: head, the file's first bytes, starts with a trace header ("go
// 1.NN trace", see Version). Anything else starting "go 1." is not
// recognized, and is left to the next entries (it may be text).
func Recognize(head []byte, r io.ReaderAt, size int64) (bool, map[string]string, error) {
	if !bytes.HasPrefix(head, []byte("go 1.")) {
		return false, nil, nil
	}
	a, err := Describe(r, size)
	if err != nil {
		return false, nil, nil
	}
	return true, a, nil
}
