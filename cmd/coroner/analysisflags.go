package main

import (
	"github.com/urfave/cli/v2"

	"github.com/coroner/coroner/analyze"
)

// analysisFlags select and bound the analyzers, for every command that
// runs them (analyze, and report on an archive); prefix begins each usage
// text.
func analysisFlags(prefix string) []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "only", Usage: prefix + "run only these analyzers (and what they require), comma-separated"},
		&cli.StringSliceFlag{Name: "skip", Usage: prefix + "leave these analyzers (and their dependents) out, comma-separated"},
		&cli.DurationFlag{Name: "budget", Value: analyze.DefaultBudget, Usage: prefix + "time budget per analyzer"},
		&cli.BoolFlag{Name: "force", Usage: prefix + "go on where analyzers would refuse (e.g. build ID mismatch)"},
		debugBinaryFlag(prefix),
	}
}

// analysisOptions reads analysisFlags.
func analysisOptions(c *cli.Context) analyze.Options {
	return analyze.Options{Only: c.StringSlice("only"), Skip: c.StringSlice("skip"), Budget: c.Duration("budget"), Force: c.Bool("force"),
		DebugBinary: debugBinary(c)}
}
