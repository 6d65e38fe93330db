package bundle

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
)

// Compression wrapper names, as recorded in Artifact.Compression.
const (
	CompressionZstd = "zstd"
	CompressionGzip = "gzip"
	CompressionXz   = "xz"
	CompressionLz4  = "lz4"
)

// ArchiveMagic starts every archive: an archive is a sequence of zstd
// frames, and each starts with the zstd magic number (RFC 8878 §3.1.1).
const ArchiveMagic = "\x28\xb5\x2f\xfd"

// HasArchiveMagic reports whether head starts as every archive does.
func HasArchiveMagic(head []byte) bool { return bytes.HasPrefix(head, magicZstd) }

// Magic numbers of the compression formats, from their specifications:
// zstd RFC 8878 §3.1.1, gzip RFC 1952 §2.3.1, xz file format §2.1.1.1, and
// the LZ4 frame format §"General Structure".
var (
	magicZstd = []byte(ArchiveMagic)
	magicGzip = []byte{0x1f, 0x8b}
	magicXz   = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	magicLz4  = []byte{0x04, 0x22, 0x4d, 0x18}
)

// CompressionOf names the wrapper whose magic starts head, or "".
func CompressionOf(head []byte) string {
	switch {
	case bytes.HasPrefix(head, magicZstd):
		return CompressionZstd
	case bytes.HasPrefix(head, magicGzip):
		return CompressionGzip
	case bytes.HasPrefix(head, magicXz):
		return CompressionXz
	case bytes.HasPrefix(head, magicLz4):
		return CompressionLz4
	}
	return ""
}

// maxZstdWindow bounds the window a zstd frame may ask the decoder for. The
// zstd CLI's default ceiling for decompression is 128 MiB (windowLog 27,
// zstd(1) --memory); systemd-coredump compresses with default levels whose
// windows are at most 8 MiB. A frame declaring more is refused rather than
// allowed to make the decoder allocate gigabytes.
const maxZstdWindow = 128 << 20

// Decompress returns a reader of r's bytes decompressed from comp (one of
// the Compression names), failing with an error wrapping ErrTooLarge past
// max bytes or when the stream asks for a window or dictionary over the
// bounds here, and a function that releases the decoder. It expands
// attachments; archives are read by their own readers.
func Decompress(r io.Reader, comp string, max int64) (io.Reader, func(), error) {
	var dr io.Reader
	done := func() {}
	switch comp {
	case CompressionZstd:
		d, err := zstd.NewReader(r, zstd.WithDecoderMaxWindow(maxZstdWindow),
			zstd.WithDecoderMaxMemory(maxZstdWindow), zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, nil, fmt.Errorf("zstd: %w", err)
		}
		dr, done = d, d.Close
	case CompressionGzip:
		g, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, fmt.Errorf("gzip: %w", err)
		}
		dr, done = g, func() { g.Close() }
	case CompressionXz:
		// The xz reader allocates the dictionary its block header declares
		// (up to 4 GiB), so check the first block's LZMA2 dictionary first.
		br := bufio.NewReaderSize(r, 4096)
		head, _ := br.Peek(12 + 1024)
		if err := checkXzDict(head); err != nil {
			return nil, nil, err
		}
		x, err := xz.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("xz: %w", err)
		}
		dr = x
	case CompressionLz4:
		dr = lz4.NewReader(r)
	default:
		return nil, nil, fmt.Errorf("unknown compression %q", comp)
	}
	return NewCappedReader(&prefixErr{r: dr, prefix: comp}, max, "the per-member limit"), done, nil
}

// prefixErr names the decompressor in its errors ("gzip: unexpected EOF").
type prefixErr struct {
	r      io.Reader
	prefix string
}

func (p *prefixErr) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%s: %w", p.prefix, err)
	}
	return n, err
}

// maxXzDict is the largest LZMA2 dictionary accepted: xz -9 and -9e use
// 64 MiB (xz(1), "Memory usage" table), so no stock preset needs more.
const maxXzDict = 64 << 20

// checkXzDict reads the first block header of an xz stream (xz file format
// §3.1) and refuses an LZMA2 dictionary larger than maxXzDict.
func checkXzDict(head []byte) error {
	const streamHeader = 12
	if len(head) < streamHeader+2 || head[streamHeader] == 0 {
		return nil // empty stream or too short: let the decoder report it
	}
	hsize := (int(head[streamHeader]) + 1) * 4
	if len(head) < streamHeader+hsize {
		return nil
	}
	bh := head[streamHeader+1 : streamHeader+hsize]
	flags := bh[0]
	i := 1
	varint := func() (uint64, bool) {
		var v uint64
		for s := 0; i < len(bh) && s < 63; s += 7 {
			b := bh[i]
			i++
			v |= uint64(b&0x7f) << s
			if b < 0x80 {
				return v, true
			}
		}
		return 0, false
	}
	if flags&0x40 != 0 {
		if _, ok := varint(); !ok {
			return fmt.Errorf("xz: bad block header")
		}
	}
	if flags&0x80 != 0 {
		if _, ok := varint(); !ok {
			return fmt.Errorf("xz: bad block header")
		}
	}
	for f := 0; f <= int(flags&3); f++ {
		id, ok1 := varint()
		n, ok2 := varint()
		if !ok1 || !ok2 || uint64(len(bh)-i) < n {
			return fmt.Errorf("xz: bad filter flags in block header")
		}
		if id == 0x21 && n == 1 { // LZMA2: one byte of dictionary size
			d := bh[i]
			if d > 40 {
				return fmt.Errorf("xz: bad LZMA2 dictionary size byte %#x", d)
			}
			var size uint64 = 0xffffffff
			if d < 40 {
				size = uint64(2|d&1) << (d/2 + 11)
			}
			if size > maxXzDict {
				return fmt.Errorf("xz: LZMA2 dictionary of %d bytes exceeds %d: %w", size, maxXzDict, ErrTooLarge)
			}
		}
		i += int(n)
	}
	return nil
}
