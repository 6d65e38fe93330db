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
	var gj goroutineJSON
	for k := range c.Goroutines {
		if k > 0 {
			w.WriteByte(',')
		}
		w.WriteString("\n    ")
		if err := gj.write(w, &c.Goroutines[k]); err != nil {
			return fmt.Errorf("census JSON: goroutine %d: %w", c.Goroutines[k].ID, err)
		}
	}
	if len(c.Goroutines) > 0 {
		w.WriteString("\n  ")
	}
	w.Write(whole[i+len(marker):])
	w.WriteByte('\n')
	return w.Flush()
}

// goroutineJSON writes goroutines as list elements of the census JSON, each
// shared stack's frames marshalled once: goroutines parked in the same
// place share one Frames slice (the core reader interns them), and their
// frames are most of a goroutine's JSON.
type goroutineJSON struct {
	frames map[stackIdentity][]byte
	held   int // bytes of JSON in frames
}

// maxFramesJSONCache bounds the frames JSON kept for reuse: a census read
// by delve has a slice per goroutine, and caching those would hold the
// whole output. 64 MiB holds the stacks of tens of thousands of distinct
// stacks (a goroutine's frames are a few KiB of JSON).
const maxFramesJSONCache = 64 << 20

// stackIdentity names a stack slice by its backing array and length.
type stackIdentity struct {
	first *goroutines.Frame
	n     int
}

// framesMarker is the frames field of a goroutine listed in the census,
// marshalled as null: the goroutine's fields lie six spaces in, and string
// values cannot hold a raw newline, so nothing else spells it.
const framesMarker = "\n      \"frames\": null"

func (gj *goroutineJSON) write(w *bufio.Writer, g *goroutines.Goroutine) error {
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
