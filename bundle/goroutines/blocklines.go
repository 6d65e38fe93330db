package goroutines

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unsafe"
)

// blockSize is how much text one string block holds: a dump of a hundred
// thousand goroutines is a few hundred blocks, not millions of lines each
// copied into a string of its own.
const blockSize = 256 << 10

// blockLines reads a text one line at a time as substrings of blocks of
// the text, each copied into a string once. A line is valid as long as
// anything holds it, but holding it keeps its whole block alive: what the
// parser keeps goes through its interner, which copies what it stores.
// Made by newTransientBlockLines, it reads every block into the same
// buffer instead, and a line is valid only until the next is read.
type blockLines struct {
	transient bool
	r         io.Reader
	buf       []byte // read but not yet made a block: the start of a line
	block     string // the current block
	pos       int    // where the next line starts in block
	err       error  // from r, returned once block is used up
	// size counts the bytes read; lastNL tells whether the last line
	// read ended with a newline.
	size   int64
	lastNL bool
}

func newBlockLines(r io.Reader) *blockLines { return &blockLines{r: r} }

// newTransientBlockLines reads r for a parser that copies what it keeps
// of a line before it reads the next (tracebackParser): a dump of tens of
// MiB then costs one block's memory, not a copy of its every byte.
func newTransientBlockLines(r io.Reader) *blockLines { return &blockLines{r: r, transient: true} }

// next returns the next line without its newline and a "\r" before it,
// or io.EOF after the last. A line longer than maxLine is an error.
func (b *blockLines) next() (string, error) {
	for {
		if i := strings.IndexByte(b.block[b.pos:], '\n'); i >= 0 {
			line := b.block[b.pos : b.pos+i]
			b.pos += i + 1
			b.lastNL = true
			return strings.TrimRight(line, "\r"), nil
		}
		// The rest of the block starts a line that ends in the next.
		rest := b.block[b.pos:]
		b.block, b.pos = "", 0
		if b.err != nil {
			if rest == "" {
				if errors.Is(b.err, io.EOF) {
					return "", io.EOF
				}
				return "", b.err
			}
			b.lastNL = false
			return strings.TrimRight(rest, "\r"), nil
		}
		if err := b.fill(rest); err != nil {
			return "", err
		}
	}
}

// fill makes the next block: rest, then as much of r as fits.
func (b *blockLines) fill(rest string) error {
	if len(rest) > maxLine {
		return fmt.Errorf("line longer than %d bytes: not a goroutine dump", maxLine)
	}
	if cap(b.buf) < len(rest)+blockSize {
		b.buf = make([]byte, 0, len(rest)+blockSize)
	}
	// When transient, rest lies in b.buf: append moves it to the start.
	buf := append(b.buf[:0], rest...)
	for len(buf) < cap(buf) && b.err == nil {
		n, err := b.r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		b.size += int64(n)
		b.err = err
	}
	if b.transient {
		b.buf = buf
		b.block = unsafe.String(unsafe.SliceData(buf), len(buf))
		return nil
	}
	b.block = string(buf)
	return nil
}
