package main

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/urfave/cli/v2"

	"github.com/coroner/coroner/bundle"
)

func init() {
	register(&cli.Command{
		Name:      "extract",
		Usage:     "extract an archive's members into a directory",
		ArgsUsage: "ARCHIVE [NAME...]",
		Description: `Without NAMEs, writes manifest.json, every artifact (under artifacts/<kind>/) and
trailer.json into DIR. A NAME selects artifacts by member path, path without "artifacts/",
base name, or original name. Each artifact is checked against its SHA-256; existing files
are never overwritten and nothing is written outside DIR.

Exit codes: 0 extracted; 2 bad usage; 3 the archive is damaged or a NAME is not in it;
4 DIR could not be written.`,
		Flags: outputFlags(".", "destination `DIR`", "directory", "C"),
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return withCode(exitUsage, errors.New("extract: name an ARCHIVE"))
			}
			dir, err := outputValue(c, "directory", "C")
			if err != nil {
				return err
			}
			args := c.Args().Slice()
			if len(args) == 0 {
				return withCode(exitUsage, errors.New("extract: name an ARCHIVE"))
			}
			err = bundle.Extract(args[0], dir, args[1:])
			switch {
			case err == nil:
				fmt.Fprintf(c.App.Writer, "extracted into %s\n", dir)
				return nil
			case errors.Is(err, bundle.ErrCorrupt), errors.Is(err, bundle.ErrNotArchive), errors.Is(err, bundle.ErrNotFound), errors.Is(err, fs.ErrNotExist):
				return withCode(exitInput, err)
			}
			return withCode(exitInternal, err)
		},
	})
}
