package bundle

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
)

// The seal is a zstd skippable frame (RFC 8878 §3.1.2) ending every
// archive: magic, a 4-byte length of 32, and the SHA-256 of the SHA-256s
// of every frame before it. Decoders, the zstd CLI included, skip it.
// Member hashes prove the contents; the seal proves the compressed bytes,
// so that even a bit flip that decodes to the same content (a match offset
// changed by a multiple of a repeating pattern's period, a window size
// bit) is caught. Hashing per frame lets frames be hashed in parallel as
// they are compressed.
const (
	sealMagic = 0x184D2A5E // one of the sixteen skippable-frame magics
	sealSize  = 8 + sha256.Size
)

func sealFrame(sum []byte) []byte {
	b := make([]byte, sealSize)
	binary.LittleEndian.PutUint32(b, sealMagic)
	binary.LittleEndian.PutUint32(b[4:], sha256.Size)
	copy(b[8:], sum)
	return b
}

// zstdMaxBlock is the largest compressed block RFC 8878 §3.1.1.2.3 allows
// (Block_Maximum_Size, 128 KiB).
const zstdMaxBlock = 128 << 10

// errNoSeal is the ErrCorrupt of an archive whose frames end without a
// seal: cut, or recompressed by a tool that drops it.
var errNoSeal = fmt.Errorf("%w", ErrCorrupt)

// frameSpan is one zstd frame of an archive file: where its compressed
// bytes lie, magic included; the size its header declares it decodes to
// (Frame_Content_Size), or -1 when the header leaves it out; and whether
// it ends with a content checksum.
type frameSpan struct {
	off, size int64
	content   int64
	checksum  bool
}

// checkSeal walks the archive's frames, hashing each, and compares the
// result with the seal, which must be the last frame.
func checkSeal(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return walkFrames(f, path, true, nil)
}

// walkFrames reads the archive r (named path in errors) frame by frame
// from its start and, with check set, hashes each and checks the seal,
// which must be the last frame (without it, only the frames' layout is
// checked). It calls each, when not nil, for every zstd frame as it is
// read (skippable frames are hashed but not reported); an error from each
// stops the walk and is returned as it is.
func walkFrames(r io.Reader, path string, check bool, each func(frameSpan) error) error {
	br := bufio.NewReaderSize(r, 1<<20)
	var (
		off     int64
		sums    [][32]byte
		seal    []byte
		recs    []frameRecord // every frame, for the frame table's check
		table   []byte        // the frame table's payload, if any
		tableAt int           // the frame table's index in recs
		frame   = sha256.New()
		hdr     [8]byte
	)
	if !check {
		frame = discardHash{frame}
	}
	read := func(n int64) error { // hashes the next n bytes of the frame
		for n > 0 {
			b, err := br.Peek(int(min(n, int64(br.Size()))))
			frame.Write(b)
			br.Discard(len(b))
			off += int64(len(b))
			n -= int64(len(b))
			if err != nil {
				return fmt.Errorf("%s: frame cut at offset %#x: %w", path, off, ErrCorrupt)
			}
		}
		return nil
	}
	for {
		if table != nil && seal == nil && len(recs) > tableAt+1 {
			return fmt.Errorf("%s: frame at offset %#x after the frame table: %w", path, recs[tableAt+1].off, ErrCorrupt)
		}
		if _, err := br.Peek(1); err == io.EOF {
			break
		}
		if seal != nil {
			return fmt.Errorf("%s: data after the seal at offset %#x: %w", path, off, ErrCorrupt)
		}
		start := off
		content := int64(-1)
		frame.Reset()
		if _, err := io.ReadFull(br, hdr[:4]); err != nil {
			return fmt.Errorf("%s: frame cut at offset %#x: %w", path, off, ErrCorrupt)
		}
		frame.Write(hdr[:4])
		off += 4
		magic := binary.LittleEndian.Uint32(hdr[:4])
		switch {
		case magic == binary.LittleEndian.Uint32(magicZstd):
			span, err := walkZstdFrame(br, read, path, &off)
			if err != nil {
				return err
			}
			span.off, span.size = start, off-start
			content = span.content
			if each != nil {
				if err := each(span); err != nil {
					return err
				}
			}
		case magic&0xFFFFFFF0 == 0x184D2A50:
			if _, err := io.ReadFull(br, hdr[4:8]); err != nil {
				return fmt.Errorf("%s: frame cut at offset %#x: %w", path, off, ErrCorrupt)
			}
			frame.Write(hdr[4:8])
			off += 4
			size := binary.LittleEndian.Uint32(hdr[4:8])
			if magic == sealMagic {
				if size != sha256.Size {
					return fmt.Errorf("%s: seal at offset %#x has length %d: %w", path, start, size, ErrCorrupt)
				}
				seal = make([]byte, sha256.Size)
				if _, err := io.ReadFull(br, seal); err != nil {
					return fmt.Errorf("%s: seal cut at offset %#x: %w", path, off, ErrCorrupt)
				}
				off += sha256.Size
				continue
			}
			if magic == tableMagic {
				var err error
				if table, err = readTablePayload(br, frame, size, len(recs), path, start); err != nil {
					return err
				}
				tableAt = len(recs)
				off += int64(size)
				break
			}
			if err := read(int64(size)); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: no frame magic at offset %#x: %w", path, start, ErrCorrupt)
		}
		var s [32]byte
		frame.Sum(s[:0])
		sums = append(sums, s)
		recs = append(recs, frameRecord{off: start, size: off - start, content: content, sum: s})
	}
	if seal == nil {
		return fmt.Errorf("%s: no seal at the end (offset %#x): archive truncated: %w", path, off, errNoSeal)
	}
	if !check {
		return nil
	}
	if got := sumOfSums(sums); !bytes.Equal(got, seal) {
		return fmt.Errorf("%s: frames hash to %s, seal says %s: %w", path, hex.EncodeToString(got), hex.EncodeToString(seal), ErrCorrupt)
	}
	if table != nil {
		return checkFrameTable(table, recs, path)
	}
	return nil
}

// walkZstdFrame reads a zstd frame after its magic: header, blocks and
// checksum (RFC 8878 §3.1.1), through read. It returns what the header
// declares: the frame's content size and whether it has a checksum.
func walkZstdFrame(br *bufio.Reader, read func(int64) error, path string, off *int64) (frameSpan, error) {
	fhdB, err := br.Peek(1)
	if err != nil {
		return frameSpan{}, fmt.Errorf("%s: frame cut at offset %#x: %w", path, *off, ErrCorrupt)
	}
	fhd := fhdB[0]
	if fhd&0x08 != 0 {
		return frameSpan{}, fmt.Errorf("%s: reserved frame header bit set at offset %#x: %w", path, *off, ErrCorrupt)
	}
	n := int64(1)
	single := fhd&0x20 != 0
	if !single {
		n++ // window descriptor
	}
	n += []int64{0, 1, 2, 4}[fhd&3]
	fcs := []int64{0, 2, 4, 8}[fhd>>6]
	if fcs == 0 && single {
		fcs = 1
	}
	fh, err := br.Peek(int(n + fcs))
	if err != nil {
		return frameSpan{}, fmt.Errorf("%s: frame header cut at offset %#x: %w", path, *off, ErrCorrupt)
	}
	span := frameSpan{content: frameContentSize(fh[n:]), checksum: fhd&0x04 != 0}
	if err := read(n + fcs); err != nil {
		return frameSpan{}, err
	}
	for {
		b, err := br.Peek(3)
		if err != nil {
			return frameSpan{}, fmt.Errorf("%s: block header cut at offset %#x: %w", path, *off, ErrCorrupt)
		}
		h := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
		last, typ, size := h&1, (h>>1)&3, int64(h>>3)
		switch {
		case typ == 3:
			return frameSpan{}, fmt.Errorf("%s: reserved block type at offset %#x: %w", path, *off, ErrCorrupt)
		case size > zstdMaxBlock:
			return frameSpan{}, fmt.Errorf("%s: block of %d bytes at offset %#x: %w", path, size, *off, ErrCorrupt)
		case typ == 1: // RLE: one byte stored
			size = 1
		}
		if err := read(3 + size); err != nil {
			return frameSpan{}, err
		}
		if last == 1 {
			break
		}
	}
	if span.checksum {
		return span, read(4) // content checksum
	}
	return span, nil
}

// frameContentSize decodes a Frame_Content_Size field of 0, 1, 2, 4 or 8
// bytes (RFC 8878 §3.1.1.1.4: the 2-byte form is offset by 256). It
// returns -1 for an absent field; a size beyond an int64 is returned as
// math.MaxInt64, more than any bound a reader sets.
func frameContentSize(b []byte) int64 {
	var v uint64
	switch len(b) {
	case 0:
		return -1
	case 1:
		v = uint64(b[0])
	case 2:
		v = uint64(binary.LittleEndian.Uint16(b)) + 256
	case 4:
		v = uint64(binary.LittleEndian.Uint32(b))
	case 8:
		v = binary.LittleEndian.Uint64(b)
	}
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// discardHash is a hash.Hash that hashes nothing: walkFrames uses it to
// walk an archive whose seal was checked before.
type discardHash struct{ hash.Hash }

func (discardHash) Write(p []byte) (int, error) { return len(p), nil }
