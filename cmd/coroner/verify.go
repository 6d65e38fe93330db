package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/coroner/coroner/bundle"
)

func init() {
	register(&cli.Command{
		Name:      "verify",
		Usage:     "re-hash every member of an archive against its trailer and manifest",
		ArgsUsage: "ARCHIVE...",
		Description: `Decompresses each archive completely and checks every member's SHA-256 against the
trailer (the last member) and the manifest. A truncated archive (even one cut exactly between
members), a flipped bit, or a missing, extra or reordered member fails.

Exit codes: 0 every archive is whole; 2 bad usage; 3 an archive is damaged or unreadable.`,
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return withCode(exitUsage, errors.New("verify: name at least one ARCHIVE"))
			}
			var failed error
			for _, p := range c.Args().Slice() {
				if err := bundle.Verify(p); err != nil {
					logError(err, exitInput)
					failed = err
					continue
				}
				fmt.Fprintf(c.App.Writer, "%s: OK\n", p)
			}
			if failed != nil {
				return withCode(exitInput, fmt.Errorf("verification failed"))
			}
			return nil
		},
	})
}
