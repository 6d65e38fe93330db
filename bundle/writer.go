package bundle

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"
	"time"
)

// archiveEpoch is the modification time of every member: fixed, so that
// the same inputs give the same bytes.
var archiveEpoch = time.Unix(0, 0).UTC()

// tarBlock is the tar record size; data is padded to a multiple of it.
const tarBlock = 512

// zeros pads tar data and writes the end-of-archive marker.
var zeros [2 * tarBlock]byte

// memberBytes returns a small member's tar bytes: header, data, padding.
func memberBytes(name string, data []byte) ([]byte, error) {
	h, err := tarHeader(name, int64(len(data)))
	if err != nil {
		return nil, err
	}
	b := append(h, data...)
	return append(b, zeros[:padding(int64(len(data)))]...), nil
}

// padding is the number of zero bytes that complete a tar record.
func padding(size int64) int64 { return (tarBlock - size%tarBlock) % tarBlock }

// tarHeader returns the header block(s) of a regular member: fixed mode,
// owner and time, so the same inputs give the same bytes.
func tarHeader(name string, size int64) ([]byte, error) {
	h := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     name,
		Size:     size,
		Mode:     0o644,
		ModTime:  archiveEpoch,
		Format:   tar.FormatUSTAR,
	}
	if size >= 1<<33-1 { // ustar's 11 octal digits hold sizes below 8 GiB
		h.Format = tar.FormatPAX
	}
	var b bytes.Buffer
	if err := tar.NewWriter(&b).WriteHeader(h); err != nil {
		return nil, fmt.Errorf("tar header for %s: %w", name, err)
	}
	return b.Bytes(), nil
}

// gapMagic marks the skippable frame (RFC 8878 §3.1.2) that fills the space
// reserved for the manifest frame beyond its actual size.
const gapMagic = 0x184D2A50

// gapFrame returns a skippable frame of exactly n ≥ 8 bytes.
func gapFrame(n int) []byte {
	b := make([]byte, n)
	binary.LittleEndian.PutUint32(b, gapMagic)
	binary.LittleEndian.PutUint32(b[4:], uint32(n-8))
	return b
}

// manifestReserve bounds the compressed size of the manifest frame whose
// JSON is at most jsonMax bytes: header, data and padding, plus zstd's
// worst-case expansion (RFC 8878: a 3-byte header per 128 KiB raw block,
// an 18-byte frame header, a 4-byte checksum), plus a gap frame header.
func manifestReserve(jsonMax int) int {
	in := 2*tarBlock + jsonMax
	return in + 3*(in/(128<<10)+1) + 18 + 4 + 8
}

// copyBufSize is the copy buffer for artifacts: large reads keep system
// call overhead negligible next to hashing and compression.
const copyBufSize = 1 << 20

var copyBufPool = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// sumOfSums is the seal's value: the SHA-256 of the frames' SHA-256s.
func sumOfSums(sums [][32]byte) []byte {
	h := sha256.New()
	for _, s := range sums {
		h.Write(s[:])
	}
	return h.Sum(nil)
}
