package gocore

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"unsafe"

	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/internal/hugepages"
)

// The census stream opens with a plan: how many goroutines the core's
// list holds, sent as soon as the list is read and before the sweep that
// reads them, which takes most of a census child's time. The parent
// makes the census's list of that many goroutines meanwhile (184 bytes
// each, a million of them 184 MB) with huge pages advised, so that the
// goroutines, as they arrive, fault it in 2 MiB at a time. It does not
// fault the list in ahead: that had used a CPU the child's sweep now
// keeps busy (six alternating pairs of cold analyze on a million
// goroutines: 3.22 s without, 3.40 s with). A plan of 0 says nothing is
// known ahead.

// maxPlannedRoom bounds the memory made ahead for a plan: half of the 1
// GiB a census may take whatever the goroutine count. A goroutine list
// that a damaged core makes long, whose goroutines then turn out
// unreadable, would otherwise cost the parent memory for a census that
// never comes; a larger census gets its list when its head arrives.
const maxPlannedRoom = 512 << 20

// wireSender writes a census child's stream on out: the plan, once, then
// the census as writeWire sends it.
type wireSender struct {
	out     *bufio.Writer
	planned bool
	err     error // of writing the plan
}

func newWireSender(out io.Writer) *wireSender {
	return &wireSender{out: bufio.NewWriterSize(out, 1<<20)}
}

// plan sends the number of goroutines the census will hold at most, and
// flushes it; only the first call sends.
func (s *wireSender) plan(goroutines int) {
	if s.planned {
		return
	}
	s.planned = true
	if _, err := s.out.Write(binary.AppendUvarint(nil, uint64(goroutines))); err != nil {
		s.err = err
		return
	}
	s.err = s.out.Flush()
}

// send writes the census c, after a plan of 0 if none was sent.
func (s *wireSender) send(c *goroutines.Census) error {
	s.plan(0)
	if s.err != nil {
		return s.err
	}
	if err := writeWire(s.out, c); err != nil {
		return err
	}
	return s.out.Flush()
}

// receiveCensus reads what a wireSender sent.
func receiveCensus(in io.Reader) (*goroutines.Census, error) {
	br := bufio.NewReaderSize(in, wireReadBuffer)
	planned, err := binary.ReadUvarint(br)
	if err != nil {
		return nil, fmt.Errorf("census plan: %w", noEOF(err))
	}
	if planned > maxAllgs {
		return nil, fmt.Errorf("census plan of %d goroutines (at most %d)", planned, maxAllgs)
	}
	var room []goroutines.Goroutine
	if planned > 0 && planned <= maxPlannedRoom/uint64(unsafe.Sizeof(goroutines.Goroutine{})) {
		room = make([]goroutines.Goroutine, planned)
		hugepages.Advise(room)
	}
	return readWire(br, room[:0])
}
