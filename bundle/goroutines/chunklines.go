package goroutines

import (
	"io"
	"strings"
)

// lineSource gives a text's lines one at a time: blockLines over a
// reader, chunkLines over text already in memory.
type lineSource interface {
	// next returns the next line without its newline and a "\r" before
	// it, or io.EOF after the last.
	next() (string, error)
	// read returns the bytes read so far and whether the last line read
	// ended with a newline.
	read() (size int64, lastNL bool)
}

func (b *blockLines) read() (int64, bool) { return b.size, b.lastNL }

// chunkLines reads lines from text held in chunks of whole lines (a
// service log's traceback, servicelog.Traceback.Chunks) as substrings of
// the chunks, copying nothing. A chunk whose end is not a newline ends
// its last line there.
type chunkLines struct {
	chunks []string
	i, pos int // the next line starts at chunks[i][pos:]
	size   int64
	lastNL bool
}

func (c *chunkLines) next() (string, error) {
	for c.i < len(c.chunks) && c.pos == len(c.chunks[c.i]) {
		c.i, c.pos = c.i+1, 0
	}
	if c.i == len(c.chunks) {
		return "", io.EOF
	}
	line, _, found := strings.Cut(c.chunks[c.i][c.pos:], "\n")
	c.pos += len(line)
	c.size += int64(len(line))
	if c.lastNL = found; found {
		c.pos++
		c.size++
	}
	return strings.TrimRight(line, "\r"), nil
}

func (c *chunkLines) read() (int64, bool) { return c.size, c.lastNL }
