package gocore

import (
	"encoding/binary"
	"errors"
	"maps"
	"slices"

	"github.com/coroner/coroner/bundle/goroutines"
)

// A chunk of goroutines travels as varints, not as gob values: gob
// encodes and decodes each field of each goroutine through reflection,
// which for a hundred thousand goroutines took longer than the parent
// waited for anything else (BenchmarkWire). Frames, creator and state
// go as indices into the wire's tables (toWire); every other field of
// goroutines.Goroutine is written here, and TestWireChunkCarriesEveryField
// fails when a field is added that is not.

// Flags of a goroutine on the wire.
const (
	chunkSystem = 1 << iota
	chunkSemaphore
	chunkCrashed
	chunkTimer
	chunkLabels
)

// errChunk reports a chunk that does not decode.
var errChunk = errors.New("malformed chunk")

// appendChunk appends goroutines gs, with their stack, creator and state
// indices, to b.
func appendChunk(b []byte, gs []goroutines.Goroutine, stackOf, creatorOf, stateOf []int) []byte {
	for i := range gs {
		g := &gs[i]
		b = binary.AppendVarint(b, g.ID)
		b = binary.AppendVarint(b, int64(g.WaitMinutes))
		b = binary.AppendVarint(b, g.WaitNanos)
		b = binary.AppendVarint(b, g.CreatorID)
		b = binary.AppendUvarint(b, g.LockAddr)
		b = binary.AppendUvarint(b, uint64(len(g.HeldLocks)))
		for _, h := range g.HeldLocks {
			b = binary.AppendUvarint(b, h)
		}
		b = append(b, flagIf(g.System, chunkSystem)|flagIf(g.Semaphore, chunkSemaphore)|flagIf(g.Crashed, chunkCrashed)|
			flagIf(g.Timer != nil, chunkTimer)|flagIf(g.Labels != nil, chunkLabels))
		if g.Timer != nil {
			b = binary.AppendVarint(b, g.Timer.PeriodNanos)
		}
		if g.Labels != nil {
			b = binary.AppendUvarint(b, uint64(len(g.Labels)))
			for _, k := range slices.Sorted(maps.Keys(g.Labels)) {
				b = appendString(appendString(b, k), g.Labels[k])
			}
		}
		b = binary.AppendVarint(b, int64(g.Thread))
		b = binary.AppendVarint(b, int64(g.Count))
		b = binary.AppendVarint(b, int64(stackOf[i]))
		b = binary.AppendVarint(b, int64(creatorOf[i]))
		b = binary.AppendVarint(b, int64(stateOf[i]))
	}
	return b
}

// flagIf is bit when on is set, else 0.
func flagIf(on bool, bit byte) byte {
	if on {
		return bit
	}
	return 0
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// chunkReader decodes what appendChunk wrote.
type chunkReader struct {
	b   []byte
	err error
}

func (r *chunkReader) varint() int64   { return next(r, binary.Varint) }
func (r *chunkReader) uvarint() uint64 { return next(r, binary.Uvarint) }

// next decodes one varint of r with decode.
func next[T int64 | uint64](r *chunkReader, decode func([]byte) (T, int)) T {
	v, n := decode(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a length, each of whose items takes at least one byte.
func (r *chunkReader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *chunkReader) byte() byte {
	if len(r.b) == 0 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *chunkReader) string() string {
	n := r.count()
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *chunkReader) fail() {
	if r.err == nil {
		r.err = errChunk
	}
	r.b = nil
}

// goroutine decodes the next goroutine into g, and returns its stack,
// creator and state indices.
func (r *chunkReader) goroutine(g *goroutines.Goroutine) (stack, creator, state int) {
	g.ID = r.varint()
	g.WaitMinutes = int(r.varint())
	g.WaitNanos = r.varint()
	g.CreatorID = r.varint()
	g.LockAddr = r.uvarint()
	if n := r.count(); n > 0 {
		g.HeldLocks = make([]uint64, n)
		for i := range g.HeldLocks {
			g.HeldLocks[i] = r.uvarint()
		}
	}
	flags := r.byte()
	g.System, g.Semaphore, g.Crashed = flags&chunkSystem != 0, flags&chunkSemaphore != 0, flags&chunkCrashed != 0
	if flags&chunkTimer != 0 {
		g.Timer = &goroutines.Timer{PeriodNanos: r.varint()}
	}
	if flags&chunkLabels != 0 {
		n := r.count()
		g.Labels = make(map[string]string, n)
		for range n {
			k := r.string()
			g.Labels[k] = r.string()
		}
	}
	g.Thread = int(r.varint())
	g.Count = int(r.varint())
	return int(r.varint()), int(r.varint()), int(r.varint())
}
