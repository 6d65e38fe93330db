package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/census"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/ingest"
)

// forceCoreFlag is --force of the commands that show one census or crash.
func forceCoreFlag() cli.Flag {
	return &cli.BoolFlag{Name: "force", Usage: "read a core even if the executable's build ID does not match"}
}

// withShown is the action of a command that shows one census or crash
// (goroutines, crash): it opens the command's one input as openShown does,
// runs show on it and closes it.
func withShown(show func(c *cli.Context, src analyze.Source) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		src, closer, err := openShown(c)
		if err != nil {
			return err
		}
		defer closer.Close()
		return show(c, src)
	}
}

// openShown opens the one input of a command that shows one census or
// crash: an incident archive, or a single file that is not one — a
// service log or goroutine dump — read where it lies, without ingesting it
// into a temporary archive, so only a log's head and tail are read. Its
// errors carry the command's exit code.
func openShown(c *cli.Context) (analyze.Source, io.Closer, error) {
	if err := checkArgs(c, 1, "ARCHIVE"); err != nil {
		return nil, nil, err
	}
	path := c.Args().First()
	a, err := bundle.Open(path)
	if err == nil {
		return a, a, nil
	}
	if !errors.Is(err, bundle.ErrNotArchive) {
		return nil, nil, withCode(exitInput, err)
	}
	l, lerr := ingest.OpenLoose(path)
	if lerr != nil {
		return nil, nil, withCode(exitInput, err)
	}
	return l, l, nil
}

// checkCensus takes the outcome of reading the census of a command's one
// input (goroutines, crash): a read error is internal; otherwise the
// census's warnings, then why each core gave no census, go to stderr, and
// an input that gave no census is an input error saying that it holds no
// readable sources (what the command reads a census from).
func checkCensus(c *cli.Context, r *census.Result, warns []string, err error, sources string) error {
	if err != nil {
		return withCode(exitInternal, err)
	}
	for _, w := range warns {
		coreWarning(w)
	}
	for core, msg := range r.CoreErrors {
		coreWarning(core + ": " + msg)
	}
	if r.Census == nil {
		return withCode(exitInput, fmt.Errorf("%s: %s holds no readable %s", c.Command.Name, c.Args().First(), sources))
	}
	return nil
}
