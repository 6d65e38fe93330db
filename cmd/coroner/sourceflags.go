package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/reports"
	"github.com/coroner/coroner/reports/source"
)

// sourceFlags are the flags that list source at the culprits.
func sourceFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "source", Usage: "list the source at each culprit and hottest line from this tree (repeatable, searched in order): a module root, a checkout at the binary's revision, $GOPATH/pkg/mod, GOROOT"},
		&cli.IntFlag{Name: "source-context", Value: source.DefaultContext, Usage: fmt.Sprintf("lines of source shown either side of a culprit (0–%d)", source.MaxContext)},
	}
}

// sourceOpts reads and checks the source flags: every tree must be a
// directory.
func sourceOpts(c *cli.Context) (source.Options, error) {
	o := source.Options{Roots: c.StringSlice("source"), Context: c.Int("source-context")}
	if o.Context < 0 || o.Context > source.MaxContext {
		return o, fmt.Errorf("--source-context %d: want 0 to %d", o.Context, source.MaxContext)
	}
	for _, r := range o.Roots {
		st, err := os.Stat(r)
		if err != nil {
			return o, fmt.Errorf("--source: %w", err)
		}
		if !st.IsDir() {
			return o, fmt.Errorf("--source %s: not a directory", r)
		}
	}
	return o, nil
}

// attachSource lists the source into res when trees were given, logging
// what could not be listed or trusted.
func attachSource(res *analyze.Result, o source.Options) error {
	if len(o.Roots) == 0 || res == nil {
		return nil
	}
	warns, err := source.Attach(res, o)
	if err != nil {
		return err
	}
	for _, w := range warns {
		logLine("source: %s", reports.SafeText(w))
	}
	return nil
}
