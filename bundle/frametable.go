package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// The frame table is a zstd skippable frame (RFC 8878 §3.1.2) written just
// before the seal. It lists every frame before it, skippable ones
// included, as fixed-width records: compressed offset and size, decoded
// size (skippedContent for a skippable frame) and the frame's SHA-256,
// the same hash the seal hashes. A count closes the frame, so that a
// reader holding the archive's tail finds the table's start from its end:
//
//	magic u32 | length u32 | records [N]{off, size, content u64; sha256 [32]} | N u64
//
// The seal covers the table like any other frame, so one read of the tail
// checks the table against the seal, and every frame read alone is then
// checked against its listed hash: a reader never walks the archive.
const (
	tableMagic      = 0x184D2A5D // another of the sixteen skippable magics than the seal's and the gap's
	tableRecordSize = 3*8 + sha256.Size
	tableFooterSize = 8
	// skippedContent marks a skippable frame's record: nothing to decode.
	skippedContent = ^uint64(0)
)

// frameRecord is one frame of the table: where its compressed bytes lie,
// the size it decodes to (-1 for a skippable frame) and its SHA-256.
type frameRecord struct {
	off, size, content int64
	sum                [32]byte
}

// errNoTable is returned by readFrameTable for an archive without a frame
// table: written before there was one, or not by coroner.
var errNoTable = errors.New("archive has no frame table")

// tableFrame encodes the table frame listing records.
func tableFrame(records []frameRecord) []byte {
	n := len(records)
	b := make([]byte, 8, 8+n*tableRecordSize+tableFooterSize)
	binary.LittleEndian.PutUint32(b, tableMagic)
	binary.LittleEndian.PutUint32(b[4:], uint32(n*tableRecordSize+tableFooterSize))
	for _, r := range records {
		content := uint64(r.content)
		if r.content < 0 {
			content = skippedContent
		}
		b = binary.LittleEndian.AppendUint64(b, uint64(r.off))
		b = binary.LittleEndian.AppendUint64(b, uint64(r.size))
		b = binary.LittleEndian.AppendUint64(b, content)
		b = append(b, r.sum[:]...)
	}
	return binary.LittleEndian.AppendUint64(b, uint64(n))
}

// tailGuess is the tail read first: the seal and a table of up to 1,000
// records, enough for an archive of about 4 GiB of coroner's 4 MiB frames
// (frameBlock); a larger table costs one more read of its exact size.
const tailGuess = sealSize + 8 + 1000*tableRecordSize + tableFooterSize

// readFrameTable reads the tail of the archive r of size bytes (named path
// in errors): the seal and the frame table before it, with one read when
// the table is small. It checks the table's records (contiguous from
// offset 0 up to the table) and that the hashes of the frames they list
// and of the table frame itself hash to the seal. It returns the records,
// or an error wrapping errNoTable when the archive has a seal but no
// table, errNoSeal when it has no seal, ErrCorrupt when the table or seal
// is damaged.
func readFrameTable(r io.ReaderAt, size int64, path string) ([]frameRecord, error) {
	tail := make([]byte, min(size, tailGuess))
	if _, err := r.ReadAt(tail, size-int64(len(tail))); err != nil {
		return nil, fmt.Errorf("%s: reading the tail at offset %#x: %w", path, size-int64(len(tail)), err)
	}
	seal, err := tailSeal(tail, size, path)
	if err != nil {
		return nil, err
	}
	body := tail[:len(tail)-sealSize]
	if len(body) < 8+tableFooterSize {
		return nil, fmt.Errorf("%s: %w", path, errNoTable)
	}
	n := binary.LittleEndian.Uint64(body[len(body)-tableFooterSize:])
	tableEnd := size - sealSize
	// The table cannot be larger than the object: records of a frame
	// each, and the frames it lists lie before it.
	if n > uint64(tableEnd)/tableRecordSize {
		return nil, tableErr(path, tableEnd, errNoTable, "no table, or a table of %d records, more than the archive holds", n)
	}
	frameLen := 8 + int64(n)*tableRecordSize + tableFooterSize
	tableOff := tableEnd - frameLen
	if tableOff < 0 {
		return nil, tableErr(path, tableEnd, errNoTable, "no table, or a table of %d records, more than the archive holds", n)
	}
	var frame []byte
	if frameLen <= int64(len(body)) {
		frame = body[int64(len(body))-frameLen:]
	} else {
		frame = make([]byte, frameLen)
		if _, err := r.ReadAt(frame, tableOff); err != nil {
			return nil, fmt.Errorf("%s: reading the frame table at offset %#x: %w", path, tableOff, err)
		}
	}
	if binary.LittleEndian.Uint32(frame) != tableMagic || int64(binary.LittleEndian.Uint32(frame[4:])) != frameLen-8 {
		return nil, fmt.Errorf("%s: %w", path, errNoTable)
	}
	records, err := parseFrameTable(frame[8:], tableOff, path)
	if err != nil {
		return nil, err
	}
	sums := make([][32]byte, 0, len(records)+1)
	for _, rec := range records {
		sums = append(sums, rec.sum)
	}
	sums = append(sums, sha256.Sum256(frame))
	if got := sumOfSums(sums); !bytes.Equal(got, seal) {
		return nil, fmt.Errorf("%s: the frame table's hashes hash to %s, seal says %s: %w", path, hex.EncodeToString(got), hex.EncodeToString(seal), ErrCorrupt)
	}
	return records, nil
}

// tailSeal returns the seal's hash from the archive's tail, the last
// len(tail) bytes of size.
func tailSeal(tail []byte, size int64, path string) ([]byte, error) {
	if len(tail) < sealSize {
		return nil, fmt.Errorf("%s: no seal at the end (offset %#x): archive truncated: %w", path, size, errNoSeal)
	}
	s := tail[len(tail)-sealSize:]
	if binary.LittleEndian.Uint32(s) != sealMagic || binary.LittleEndian.Uint32(s[4:]) != sha256.Size {
		return nil, fmt.Errorf("%s: no seal at the end (offset %#x): archive truncated: %w", path, size-sealSize, errNoSeal)
	}
	return s[8:], nil
}

// parseFrameTable decodes a table frame's payload (after its 8-byte
// header) found at offset tableOff of the archive path. The records must
// tile the archive from offset 0 up to the table, each frame at least a
// frame header long.
func parseFrameTable(p []byte, tableOff int64, path string) ([]frameRecord, error) {
	if len(p) < tableFooterSize || (len(p)-tableFooterSize)%tableRecordSize != 0 {
		return nil, tableErr(path, tableOff, ErrCorrupt, "payload of %d bytes is not whole records", len(p))
	}
	n := (len(p) - tableFooterSize) / tableRecordSize
	if got := binary.LittleEndian.Uint64(p[len(p)-tableFooterSize:]); got != uint64(n) {
		return nil, tableErr(path, tableOff, ErrCorrupt, "count %d does not match its %d records", got, n)
	}
	records := make([]frameRecord, n)
	var next uint64
	for i := range records {
		b := p[i*tableRecordSize:]
		off, size, content := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:]), binary.LittleEndian.Uint64(b[16:])
		recOff := tableOff + 8 + int64(i)*tableRecordSize
		switch {
		case off != next:
			return nil, tableErr(path, recOff, ErrCorrupt, "record %d at %#x, expected %#x", i, off, next)
		case size < 8 || size > uint64(tableOff)-off: // a skippable frame's header is 8 bytes, a zstd frame's more
			return nil, tableErr(path, recOff, ErrCorrupt, "record %d of %d bytes at %#x does not fit before the table", i, size, off)
		}
		records[i] = frameRecord{off: int64(off), size: int64(size), content: int64(content)}
		if content == skippedContent {
			records[i].content = -1
		}
		copy(records[i].sum[:], b[24:])
		next = off + size
	}
	if next != uint64(tableOff) {
		return nil, tableErr(path, tableOff, ErrCorrupt, "records end at %#x, not at the table", next)
	}
	return records, nil
}

// tableErr is an error about the frame table of path at offset off,
// wrapping kind.
func tableErr(path string, off int64, kind error, format string, args ...any) error {
	return fmt.Errorf("%s: frame table at offset %#x: %s: %w", path, off, fmt.Sprintf(format, args...), kind)
}

// readTablePayload reads the payload of size bytes of the frame table
// found at offset off while walking an archive, after its header, hashing
// it into frame. The table lists every frame before it, so its size is
// known from the frames walked: any other size is refused before memory
// is taken for it.
func readTablePayload(br io.Reader, frame io.Writer, size uint32, frames int, path string, off int64) ([]byte, error) {
	if want := uint64(frames)*tableRecordSize + tableFooterSize; uint64(size) != want {
		return nil, tableErr(path, off, ErrCorrupt, "%d bytes long, %d frames before it need %d", size, frames, want)
	}
	p := make([]byte, size)
	if _, err := io.ReadFull(br, p); err != nil {
		return nil, fmt.Errorf("%s: frame table cut at offset %#x: %w", path, off, ErrCorrupt)
	}
	frame.Write(p)
	return p, nil
}

// checkFrameTable checks the payload of the frame table that recs' last
// frame is against the frames walked before it: same offsets, sizes,
// decoded sizes and hashes.
func checkFrameTable(payload []byte, recs []frameRecord, path string) error {
	tab := recs[len(recs)-1]
	listed, err := parseFrameTable(payload, tab.off, path)
	if err != nil {
		return err
	}
	for i, got := range recs[:len(recs)-1] {
		if listed[i] != got {
			return tableErr(path, tab.off, ErrCorrupt, "record %d (offset %#x, %d bytes) does not match the frame at offset %#x", i, listed[i].off, listed[i].size, got.off)
		}
	}
	return nil
}
