package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/coroner/coroner/bundle/goroutines"
)

// writeCensusJSON writes the census as json.Encoder with two-space
// indentation writes it, byte for byte, but one goroutine at a time: the
// census's fields around its goroutine list are marshalled with an empty
// list, split there, and the goroutines written between the halves. A
// million goroutines' JSON (gigabytes with their stacks) is never held
// whole.
func writeCensusJSON(out io.Writer, c *goroutines.Census) error {
	shell := *c
	if shell.Goroutines != nil {
		shell.Goroutines = []goroutines.Goroutine{}
	}
	whole, err := json.MarshalIndent(&shell, "", "  ")
	if err != nil {
		return fmt.Errorf("census JSON: %w", err)
	}
	// The marker is the top-level key: string values cannot hold a raw
	// newline, so no value can spell it.
	const marker = "\n  \"goroutines\": ["
	i := bytes.Index(whole, []byte(marker+"]"))
	if c.Goroutines == nil || i < 0 {
		whole = append(whole, '\n')
		_, err := out.Write(whole)
		return err
	}
	w := bufio.NewWriterSize(out, 1<<20)
	w.Write(whole[:i+len(marker)])
	if err := writeGoroutinesJSON(w, c.Goroutines); err != nil {
		return err
	}
	if len(c.Goroutines) > 0 {
		w.WriteString("\n  ")
	}
	w.Write(whole[i+len(marker):])
	w.WriteByte('\n')
	return w.Flush()
}

// Parallel marshalling of the goroutine list: chunks of jsonChunk
// goroutines, marshalled by jsonWorkers goroutines and written in order,
// at most jsonInFlight chunks (a few MiB) held at once. Marshalling is
// most of writing a large census; two workers match the two cores the
// benchmarks run on, and more only contend.
const (
	jsonChunk    = 1024
	jsonWorkers  = 2
	jsonInFlight = 8
)

// writeGoroutinesJSON writes gs as the census JSON's list elements,
// separated by commas, each on its own line.
func writeGoroutinesJSON(w *bufio.Writer, gs []goroutines.Goroutine) error {
	type chunk struct {
		start int
		out   chan []byte
		err   chan error
	}
	todo := make(chan chunk, jsonInFlight)
	order := make(chan chunk, jsonInFlight)
	go func() {
		for start := 0; start < len(gs); start += jsonChunk {
			ch := chunk{start, make(chan []byte, 1), make(chan error, 1)}
			order <- ch
			todo <- ch
		}
		close(todo)
		close(order)
	}()
	for range jsonWorkers {
		go func() {
			var gj goroutineJSON
			for ch := range todo {
				var buf bytes.Buffer
				var err error
				for k := ch.start; k < min(ch.start+jsonChunk, len(gs)) && err == nil; k++ {
					if k > 0 {
						buf.WriteByte(',')
					}
					buf.WriteString("\n    ")
					if err = gj.write(&buf, &gs[k]); err != nil {
						err = fmt.Errorf("census JSON: goroutine %d: %w", gs[k].ID, err)
					}
				}
				ch.out <- buf.Bytes()
				ch.err <- err
			}
		}()
	}
	var first error
	for ch := range order {
		b, err := <-ch.out, <-ch.err
		if first == nil {
			first = err
			w.Write(b)
		}
	}
	return first
}

// goroutineJSON writes goroutines as list elements of the census JSON, each
// shared stack's frames marshalled once: goroutines parked in the same
// place share one Frames slice (the core reader interns them), and their
// frames are most of a goroutine's JSON.
type goroutineJSON struct {
	frames map[stackIdentity][]byte
	held   int // bytes of JSON in frames
}

// maxFramesJSONCache bounds the frames JSON each marshalling worker keeps
// for reuse: a census read by delve has a slice per goroutine, and caching
// those would hold the whole output. 32 MiB holds the frames of about ten
// thousand distinct stacks (a goroutine's frames are a few KiB of JSON).
const maxFramesJSONCache = 32 << 20

// stackIdentity names a stack slice by its backing array and length.
type stackIdentity struct {
	first *goroutines.Frame
	n     int
}

// framesMarker is the frames field of a goroutine listed in the census,
// marshalled as null: the goroutine's fields lie six spaces in, and string
// values cannot hold a raw newline, so nothing else spells it.
const framesMarker = "\n      \"frames\": null"

func (gj *goroutineJSON) write(w *bytes.Buffer, g *goroutines.Goroutine) error {
	if len(g.Frames) == 0 {
		b, err := json.MarshalIndent(g, "    ", "  ")
		w.Write(b)
		return err
	}
	bare := *g
	bare.Frames = nil
	b, err := json.MarshalIndent(&bare, "    ", "  ")
	if err != nil {
		return err
	}
	i := bytes.Index(b, []byte(framesMarker))
	if i < 0 {
		return fmt.Errorf("no frames field in %.40q", b)
	}
	id := stackIdentity{&g.Frames[0], len(g.Frames)}
	fs, ok := gj.frames[id]
	if !ok {
		if fs, err = json.MarshalIndent(g.Frames, "      ", "  "); err != nil {
			return err
		}
		if gj.frames == nil {
			gj.frames = map[stackIdentity][]byte{}
		}
		if gj.held+len(fs) <= maxFramesJSONCache {
			gj.frames[id] = fs
			gj.held += len(fs)
		}
	}
	cut := i + len(framesMarker) - len("null")
	w.Write(b[:cut])
	w.Write(fs)
	w.Write(b[i+len(framesMarker):])
	return nil
}
