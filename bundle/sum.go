package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
)

// SumSHA256 reads r to its end and returns how many bytes it read and their
// SHA-256 in lower-case hex, the form manifests and trailers record. On a
// read error the sum covers the bytes read before it.
func SumSHA256(r io.Reader) (n int64, sum string, err error) {
	h := sha256.New()
	n, err = io.Copy(h, r)
	return n, hex.EncodeToString(h.Sum(nil)), err
}
