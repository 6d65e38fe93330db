package goroutines

// chunkLen is how many goroutines one chunk holds: 4096 of them are under
// a MiB, so the chunks' slack stays small against a dump's text.
const chunkLen = 4096

// chunked gathers goroutines in fixed-size chunks, so that a dump of a
// hundred thousand goroutines is copied once into its final slice: one
// slice appended to grows by a quarter at a time past 256 elements
// (runtime growslice), copying and clearing what it holds about five
// times over.
type chunked struct {
	full [][]Goroutine
	cur  []Goroutine
	n    int
}

// next returns the slot after the goroutines kept, for the caller to fill
// in place and then keep, or leave to the next call.
func (c *chunked) next() *Goroutine {
	if len(c.cur) == cap(c.cur) {
		if len(c.cur) > 0 {
			c.full = append(c.full, c.cur)
		}
		c.cur = make([]Goroutine, 0, chunkLen)
	}
	return &c.cur[:len(c.cur)+1][len(c.cur)]
}

// keep adds the goroutine in the slot next returned.
func (c *chunked) keep() {
	c.cur = c.cur[:len(c.cur)+1]
	c.n++
}

// slice returns every goroutine added, in order, in one slice; nil when
// none was.
func (c *chunked) slice() []Goroutine {
	if c.n == 0 {
		return nil
	}
	out := make([]Goroutine, 0, c.n)
	for _, ch := range c.full {
		out = append(out, ch...)
	}
	return append(out, c.cur...)
}
