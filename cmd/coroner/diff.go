package main

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/coroner/coroner/internal/batch"
)

func init() {
	register(&cli.Command{
		Name:      "diff",
		Usage:     "show which incidents' verdicts, culprits, severities or signatures changed between two analyses",
		ArgsUsage: "OLD NEW",
		Description: `OLD and NEW are each a result JSON file (coroner analyze --format json), a batch output
directory (or its summary.json), or a directory of result JSON files, or the same in an object
store (s3://BUCKET/KEY, a prefix ending in '/' for a directory). Directories are paired by
archive digest; two single results are compared directly. Exit codes: 0 no change; 1 something
changed; 2 bad arguments; 3 an input is unreadable.`,
		Flags: []cli.Flag{
			jsonFlag("print JSON instead of a table"),
		},
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, 2, "OLD and NEW"); err != nil {
				return err
			}
			old, err := batch.LoadSideContext(c.Context, c.Args().Get(0))
			if err != nil {
				return withCode(exitInput, err)
			}
			cur, err := batch.LoadSideContext(c.Context, c.Args().Get(1))
			if err != nil {
				return withCode(exitInput, err)
			}
			d := batch.Compare(old, cur)
			if c.Bool("json") {
				err = writeJSONOut(c.App.Writer, d)
			} else {
				err = printDiff(c.App.Writer, d)
			}
			if err != nil {
				return withCode(exitInternal, err)
			}
			if len(d.Changes) > 0 {
				return withCode(exitFindings, errors.New("analyses differ"))
			}
			return nil
		},
	})
}
