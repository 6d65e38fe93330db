package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// The seal is a zstd skippable frame (RFC 8878 §3.1.2) ending every
// archive: magic, a 4-byte length of 32, and the SHA-256 of every byte
// before it. Decoders, the zstd CLI included, skip it. Member hashes prove
// the contents; the seal proves the compressed bytes, so that even a bit
// flip that decodes to the same content (a match offset changed by a
// multiple of a repeating pattern's period, a window size bit) is caught.
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

// checkSeal hashes the compressed stream and compares it with the seal at
// its end.
func checkSeal(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	if size < sealSize {
		return fmt.Errorf("%s: %d bytes, too short for an archive: %w", path, size, ErrCorrupt)
	}
	seal := make([]byte, sealSize)
	if _, err := f.ReadAt(seal, size-sealSize); err != nil {
		return fmt.Errorf("%s: reading seal: %w", path, err)
	}
	want := sealFrame(nil)
	if !bytes.Equal(seal[:8], want[:8]) {
		return fmt.Errorf("%s: no seal frame at offset %#x: archive truncated or extended: %w", path, size-sealSize, ErrCorrupt)
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, size-sealSize)); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if got := h.Sum(nil); !bytes.Equal(got, seal[8:]) {
		return fmt.Errorf("%s: compressed bytes hash to %s, seal says %s: %w", path, hex.EncodeToString(got), hex.EncodeToString(seal[8:]), ErrCorrupt)
	}
	return nil
}
