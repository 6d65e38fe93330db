package gocore

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"encoding/gob"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/internal/hugepages"
)

// wire is the census as the child sends it: each distinct stack and each
// distinct creator frame once, and per goroutine an index into each.
// Goroutines with the same stack share one Frames slice after decoding
// (and the same creator one Frame), so the parent's memory grows with the
// number of distinct stacks, not with goroutines × frames.
type wire struct {
	Census  *goroutines.Census   `json:"census"`
	Stacks  [][]goroutines.Frame `json:"stacks"`
	StackOf []int                `json:"stack_of"`
	// Creators are the distinct CreatedBy frames; CreatorOf[i] is
	// goroutine i's, -1 for none.
	Creators  []goroutines.Frame `json:"creators"`
	CreatorOf []int              `json:"creator_of"`
	// States are the distinct pairs of status and wait reason;
	// StateOf[i] is goroutine i's. A million goroutines in a few states
	// then carry an index each rather than two strings the receiver
	// allocates anew.
	States  []wireState `json:"states"`
	StateOf []int       `json:"state_of"`
	// Total is how many goroutines follow in chunks (writeWire).
	Total int `json:"total"`
}

// wireState is a goroutine's status and wait reason.
type wireState struct {
	Status, WaitReason string
}

// wireChunkLen is how many goroutines a chunk carries: the receiver
// decodes each chunk into a list it allocated whole from Total, and the
// buffers of both ends stay a few hundred KiB.
const wireChunkLen = 8192

// maxWireChunk bounds a chunk's bytes as the receiver reads them: 8192
// goroutines of a few dozen bytes each, unless they carry labels or
// held locks by the thousand; past this the stream is not a census.
const maxWireChunk = 256 << 20

// writeWire sends the census c: the wire with the census's other fields,
// its distinct stacks, creators and states as one gob value, then its
// goroutines in chunks, each its count and length as uvarints and the
// bytes appendChunk wrote. The chunks bypass gob, which would allocate
// each chunk's bytes anew on the receiving side and copy them twice. It
// leaves c's goroutines without their frames, creators and states.
func writeWire(out io.Writer, c *goroutines.Census) error {
	w := toWire(c)
	head := *w
	shell := *c
	shell.Goroutines = nil
	head.Census, head.StackOf, head.CreatorOf, head.StateOf, head.Total = &shell, nil, nil, nil, len(c.Goroutines)
	if err := gob.NewEncoder(out).Encode(&head); err != nil {
		return err
	}
	var prefix, data []byte
	for i := 0; i < len(c.Goroutines); i += wireChunkLen {
		j := min(i+wireChunkLen, len(c.Goroutines))
		data = appendChunk(data[:0], c.Goroutines[i:j], w.StackOf[i:j], w.CreatorOf[i:j], w.StateOf[i:j])
		prefix = binary.AppendUvarint(binary.AppendUvarint(prefix[:0], uint64(j-i)), uint64(len(data)))
		if _, err := out.Write(prefix); err != nil {
			return err
		}
		if _, err := out.Write(data); err != nil {
			return err
		}
	}
	return nil
}

// wireReadBuffer is the buffer readWire reads the stream through.
const wireReadBuffer = 1 << 16

// readWire receives what writeWire sent and restores the census, its
// goroutines sharing stacks, creator frames and state strings, into room
// when it has capacity for them all.
func readWire(in io.Reader, room []goroutines.Goroutine) (*goroutines.Census, error) {
	// gob reads a reader that is an io.ByteReader as it is, without a
	// buffer of its own, so the chunks after its value read on from br.
	br := bufio.NewReaderSize(in, wireReadBuffer)
	var head wire
	if err := gob.NewDecoder(br).Decode(&head); err != nil {
		return nil, err
	}
	if head.Total < 0 || head.Total > maxAllgs {
		return nil, fmt.Errorf("census of %d goroutines (at most %d)", head.Total, maxAllgs)
	}
	c := head.Census
	if c == nil {
		c = &goroutines.Census{}
	}
	creators := make([]*goroutines.Frame, len(head.Creators))
	for k := range head.Creators {
		creators[k] = &head.Creators[k]
	}
	if cap(room) >= head.Total {
		c.Goroutines = room[:0]
	} else {
		c.Goroutines = make([]goroutines.Goroutine, 0, head.Total)
		hugepages.Advise(c.Goroutines)
	}
	var data []byte
	for len(c.Goroutines) < head.Total {
		n := len(c.Goroutines)
		count, err1 := binary.ReadUvarint(br)
		size, err2 := binary.ReadUvarint(br)
		if err := cmp.Or(err1, err2); err != nil {
			return nil, fmt.Errorf("goroutines from %d on: %w", n, noEOF(err))
		}
		if count == 0 || count > uint64(head.Total-n) || size > maxWireChunk {
			return nil, fmt.Errorf("goroutines from %d on: a chunk of %d goroutines in %d bytes", n, count, size)
		}
		if uint64(cap(data)) < size {
			data = make([]byte, size)
		}
		data = data[:size]
		if _, err := io.ReadFull(br, data); err != nil {
			return nil, fmt.Errorf("goroutines from %d on: %w", n, noEOF(err))
		}
		// Decoded straight into the census's free capacity.
		c.Goroutines = c.Goroutines[:n+int(count)]
		r := chunkReader{b: data}
		for k := n; k < len(c.Goroutines); k++ {
			g := &c.Goroutines[k]
			stack, creator, state := r.goroutine(g)
			if stack >= 0 && stack < len(head.Stacks) {
				g.Frames = head.Stacks[stack]
			}
			if creator >= 0 && creator < len(creators) {
				g.CreatedBy = creators[creator]
			}
			if state >= 0 && state < len(head.States) {
				g.Status, g.WaitReason = head.States[state].Status, head.States[state].WaitReason
			}
		}
		if r.err != nil || len(r.b) > 0 {
			return nil, fmt.Errorf("goroutines from %d on: %w of %d goroutines in %d bytes", n, errChunk, count, size)
		}
	}
	return c, nil
}

// noEOF turns the end of the stream inside a census into an error that
// says it was cut.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// toWire indexes c's goroutines' stacks, creators and states. The three
// index lists share one allocation with huge pages advised: for a
// million goroutines they take 24 MB of fresh memory, whose 4 KiB page
// faults had been half of toWire's time.
func toWire(c *goroutines.Census) *wire {
	n := len(c.Goroutines)
	idx := make([]int, 3*n)
	hugepages.Advise(idx)
	w := &wire{Census: c, StackOf: idx[:n:n], CreatorOf: idx[n : 2*n : 2*n], StateOf: idx[2*n:]}
	states := map[wireState]int{}
	// The census reader shares one slice between goroutines with the same
	// stack (stackInterner), so most lookups need not compare frames.
	var byIdentity goroutines.StackMap[int]
	byContent := map[string]int{}
	creators := map[goroutines.Frame]int{}
	// The census reader shares one creator Frame between goroutines with
	// the same go statement too (kept by pointer as far as PerStack's
	// bound), and a run of goroutines mostly shares a state: neither is
	// hashed by content for each goroutine.
	creatorAt := map[*goroutines.Frame]int{}
	last, lastK := wireState{}, -1
	for i := range c.Goroutines {
		g := &c.Goroutines[i]
		id := goroutines.IDOf(g.Frames)
		j, ok := byIdentity.Get(id)
		if !ok {
			k := stackKey(g.Frames)
			if j, ok = byContent[k]; !ok {
				j = len(w.Stacks)
				byContent[k] = j
				w.Stacks = append(w.Stacks, g.Frames)
			}
			if id != (goroutines.StackID{}) {
				byIdentity.Put(id, j)
			}
		}
		w.StackOf[i] = j
		g.Frames = nil
		w.CreatorOf[i] = -1
		if g.CreatedBy != nil {
			k, ok := creatorAt[g.CreatedBy]
			if !ok {
				if k, ok = creators[*g.CreatedBy]; !ok {
					k = len(w.Creators)
					creators[*g.CreatedBy] = k
					w.Creators = append(w.Creators, *g.CreatedBy)
				}
				if len(creatorAt) < goroutines.MaxPerStack {
					creatorAt[g.CreatedBy] = k
				}
			}
			w.CreatorOf[i] = k
			g.CreatedBy = nil
		}
		if st := (wireState{g.Status, g.WaitReason}); st != last || lastK < 0 {
			k, ok := states[st]
			if !ok {
				k = len(w.States)
				states[st] = k
				w.States = append(w.States, st)
			}
			last, lastK = st, k
		}
		w.StateOf[i] = lastK
		g.Status, g.WaitReason = "", ""
	}
	return w
}

// stackKey spells frames out, for comparing stacks by content.
func stackKey(frames []goroutines.Frame) string {
	var key strings.Builder
	for _, f := range frames {
		key.WriteString(f.Func)
		key.WriteByte(0)
		key.WriteString(f.File)
		key.WriteByte(0)
		key.WriteString(strconv.Itoa(f.Line))
		if f.Inlined {
			key.WriteByte('i')
		}
		key.WriteByte(1)
	}
	return key.String()
}
