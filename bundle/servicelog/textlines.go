package servicelog

import "strings"

// textLines is the LineSink a Locator gives a traceback when it was given
// no NewSink: it keeps the lines, each ending in a newline, in chunks of
// whole lines (Traceback.Text, Traceback.Chunks).
type textLines struct {
	chunks []string
	// cur gathers the lines after the last chunk: a strings.Builder hands
	// its bytes over as a string without copying.
	cur strings.Builder
}

// Line implements LineSink.
func (t *textLines) Line(text []byte) {
	// Gathered in chunks: one buffer appended to up to MaxTraceback would
	// be copied several times over as it grows.
	if t.cur.Len()+len(text)+1 > t.cur.Cap() {
		t.end()
		t.cur.Grow(max(textChunk, len(text)+1))
	}
	t.cur.Write(text)
	t.cur.WriteByte('\n')
}

// end moves the lines gathered in cur to chunks.
func (t *textLines) end() {
	if t.cur.Len() > 0 {
		t.chunks = append(t.chunks, t.cur.String())
	}
	t.cur.Reset()
}

// textChunk is the size of the chunks a traceback's text is gathered in.
const textChunk = 1 << 20
