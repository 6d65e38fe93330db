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
	writeGoroutinesJSON(w, c.Goroutines)
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
// separated by commas, each on its own line. The chunks' buffers go round
// between the workers and the writer: a million goroutines' JSON written
// into fresh buffers cost more in zeroing and faulting in new memory than
// in writing it.
func writeGoroutinesJSON(w *bufio.Writer, gs []goroutines.Goroutine) {
	type chunk struct {
		start int
		out   chan []byte
	}
	todo := make(chan chunk, jsonInFlight)
	order := make(chan chunk, jsonInFlight)
	free := make(chan []byte, jsonInFlight+jsonWorkers)
	go func() {
		for start := 0; start < len(gs); start += jsonChunk {
			ch := chunk{start, make(chan []byte, 1)}
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
				var b []byte
				select {
				case b = <-free:
				default:
				}
				for k := ch.start; k < min(ch.start+jsonChunk, len(gs)); k++ {
					if k > 0 {
						b = append(b, ',')
					}
					b = append(b, "\n    "...)
					b = gj.append(b, &gs[k])
				}
				ch.out <- b
			}
		}()
	}
	for ch := range order {
		b := <-ch.out
		w.Write(b)
		select {
		case free <- b[:0]:
		default:
		}
	}
}

// goroutineJSON writes goroutines as list elements of the census JSON
// (goroutinejson.go), each shared stack's frames written once: goroutines
// parked in the same place share one Frames slice (the core reader
// interns them), and their frames are most of a goroutine's JSON.
type goroutineJSON struct {
	frames map[goroutines.StackID][]byte
	held   int // bytes of JSON in frames
}

// maxFramesJSONCache bounds the frames JSON each marshalling worker keeps
// for reuse: a census read by delve has a slice per goroutine, and caching
// those would hold the whole output. 32 MiB holds the frames of about ten
// thousand distinct stacks (a goroutine's frames are a few KiB of JSON).
const maxFramesJSONCache = 32 << 20

// append appends g's JSON to b.
func (gj *goroutineJSON) append(b []byte, g *goroutines.Goroutine) []byte {
	b = appendGoroutineHead(b, g)
	if len(g.Frames) == 0 {
		b = appendFramesJSON(b, g.Frames)
	} else {
		id := goroutines.IDOf(g.Frames)
		fs, ok := gj.frames[id]
		if !ok {
			fs = appendFramesJSON(nil, g.Frames)
			if gj.frames == nil {
				gj.frames = map[goroutines.StackID][]byte{}
			}
			if gj.held+len(fs) <= maxFramesJSONCache {
				gj.frames[id] = fs
				gj.held += len(fs)
			}
		}
		b = append(b, fs...)
	}
	return appendGoroutineTail(b, g)
}
