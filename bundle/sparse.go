package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
)

// Extraction moves data in chunks of extractChunk bytes, and leaves a hole
// in the file for every all-zero block of holeBlock bytes.
const (
	extractChunk = 1 << 20
	extractBufs  = 4
	holeBlock    = 4096
)

var zeroBlock [holeBlock]byte

// extractSparse copies exactly size bytes from r into the empty file f and
// returns their hex SHA-256. All-zero blocks are skipped rather than
// written, so a core's unused mappings become holes instead of gigabytes of
// page cache and disk writes. Reading (decompression), writing and hashing
// run as a pipeline of three goroutines over a few chunks: on a multi-GiB
// core, writing and hashing each cost more than decompression.
func extractSparse(f *os.File, r io.Reader, size int64) (string, error) {
	type chunk struct {
		b   []byte
		off int64
	}
	free := make(chan []byte, extractBufs)
	for range extractBufs {
		free <- make([]byte, extractChunk)
	}
	toWrite := make(chan chunk, extractBufs)
	toHash := make(chan []byte, extractBufs)
	wrote := make(chan error, 1)
	sum := make(chan string, 1)
	var failed atomic.Bool
	go func() {
		var werr error
		for c := range toWrite {
			if werr == nil {
				if werr = writeNonZero(f, c.b, c.off); werr != nil {
					failed.Store(true)
				}
			}
			toHash <- c.b
		}
		close(toHash)
		wrote <- werr
	}()
	go func() {
		h := sha256.New()
		for b := range toHash {
			h.Write(b)
			free <- b[:cap(b)]
		}
		sum <- hex.EncodeToString(h.Sum(nil))
	}()
	var off int64
	err := func() error {
		for !failed.Load() {
			buf := <-free
			n, err := io.ReadFull(r, buf)
			if n > 0 {
				toWrite <- chunk{buf[:n], off}
				off += int64(n)
			} else {
				free <- buf
			}
			if off > size {
				return fmt.Errorf("member longer than its %d bytes: %w", size, ErrCorrupt)
			}
			switch {
			case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
				return nil
			case errors.Is(err, ErrCorrupt):
				return err
			case err != nil:
				return fmt.Errorf("%w: %v", ErrCorrupt, err)
			}
		}
		return nil
	}()
	close(toWrite)
	werr := <-wrote
	got := <-sum
	if werr != nil {
		return "", werr
	}
	if err != nil {
		return "", err
	}
	if off != size {
		return "", fmt.Errorf("member ends after %d of its %d bytes: %w", off, size, ErrCorrupt)
	}
	if err := f.Truncate(size); err != nil {
		return "", fmt.Errorf("writing: %w", err)
	}
	return got, nil
}

// writeNonZero writes b at off in f, one write per run of blocks that are
// not all zero.
func writeNonZero(f *os.File, b []byte, off int64) error {
	start := -1
	for i := 0; i < len(b); i += holeBlock {
		end := min(i+holeBlock, len(b))
		zero := bytes.Equal(b[i:end], zeroBlock[:end-i])
		switch {
		case !zero && start < 0:
			start = i
		case zero && start >= 0:
			if _, err := f.WriteAt(b[start:i], off+int64(start)); err != nil {
				return fmt.Errorf("writing: %w", err)
			}
			start = -1
		}
	}
	if start >= 0 {
		if _, err := f.WriteAt(b[start:], off+int64(start)); err != nil {
			return fmt.Errorf("writing: %w", err)
		}
	}
	return nil
}
