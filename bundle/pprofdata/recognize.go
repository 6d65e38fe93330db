package pprofdata

import (
	"bytes"
	"io"
)

// Recognize is the pprof profile's entry in bundle/ingest's sniffing
// table: head, the file's first bytes, is gzip's magic or the start of a
// Profile message (LooksLikeProto), and the file parses as a profile with
// sample types (Describe). A plain file over MaxBytes is not parsed. Any
// file that does not parse is not recognized: a gzip file that is no
// profile (or one over MaxBytes once decompressed) is left to the next
// entries, which unwrap compression.
func Recognize(head []byte, r io.ReaderAt, size int64) (bool, map[string]string, error) {
	gzipped := bytes.HasPrefix(head, []byte{0x1f, 0x8b}) // RFC 1952 §2.3.1
	if !gzipped && !LooksLikeProto(head) {
		return false, nil, nil
	}
	if !gzipped && size > MaxBytes {
		return false, nil, nil
	}
	a, err := Describe(r, size)
	if err != nil {
		return false, nil, nil
	}
	return true, a, nil
}
