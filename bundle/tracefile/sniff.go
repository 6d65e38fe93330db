// Package tracefile reads Go runtime execution traces (runtime/trace,
// net/http/pprof's /debug/pprof/trace). This file recognizes a trace by its
// header; summaries of the events live beside it.
//
// A per-kind reader: it imports no other coroner package; bundle/ingest
// sniffs traces with its Recognize.
package tracefile

import (
	"errors"
	"fmt"
	"io"
	"regexp"
)

// headerLen is the fixed size of a trace's header: "go 1.NN trace" padded
// with NUL bytes to 16 bytes (runtime/trace's file format, unchanged since
// Go 1.5).
const headerLen = 16

// ErrNotTrace reports bytes that do not start with a trace header.
var ErrNotTrace = errors.New("not a Go execution trace")

var headerRE = regexp.MustCompile(`^go (1\.[0-9]{1,3}) trace\x00*$`)

// Version returns the trace format version ("1.22", …) named by the header
// at the start of head.
func Version(head []byte) (string, error) {
	if len(head) < headerLen {
		return "", ErrNotTrace
	}
	m := headerRE.FindSubmatch(head[:headerLen])
	if m == nil {
		return "", ErrNotTrace
	}
	return string(m[1]), nil
}

// Describe returns manifest attributes for the trace in r: trace_version.
func Describe(r io.ReaderAt, size int64) (map[string]string, error) {
	if size < headerLen {
		return nil, ErrNotTrace
	}
	head := make([]byte, headerLen)
	if _, err := r.ReadAt(head, 0); err != nil {
		return nil, fmt.Errorf("reading trace header: %w", err)
	}
	v, err := Version(head)
	if err != nil {
		return nil, err
	}
	return map[string]string{"trace_version": v}, nil
}
