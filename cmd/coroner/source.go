package main

import (
	"errors"
	"io"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/ingest"
)

// openShown opens the input of a command that shows one census or crash
// (goroutines, crash): an incident archive, or a single file that is not
// one — a service log or goroutine dump — read where it lies, without
// ingesting it into a temporary archive, so only a log's head and tail
// are read.
func openShown(path string) (analyze.Source, io.Closer, error) {
	a, err := bundle.Open(path)
	if err == nil {
		return a, a, nil
	}
	if !errors.Is(err, bundle.ErrNotArchive) {
		return nil, nil, err
	}
	l, lerr := ingest.OpenLoose(path)
	if lerr != nil {
		return nil, nil, err
	}
	return l, l, nil
}
