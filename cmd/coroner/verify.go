package main

import (
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
		Flags: []cli.Flag{
			jsonFlag("print one {archive, ok, error} object per archive as a JSON array"),
		},
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, atLeastOne, "ARCHIVE"); err != nil {
				return err
			}
			var failed error
			results := []verifyResult{}
			for _, p := range c.Args().Slice() {
				err := bundle.Verify(p)
				r := verifyResult{Archive: p, OK: err == nil}
				if err != nil {
					logError(err, exitInput)
					failed, r.Error = err, err.Error()
				}
				results = append(results, r)
				if err == nil && !c.Bool("json") {
					fmt.Fprintf(c.App.Writer, "%s: OK\n", p)
				}
			}
			if c.Bool("json") {
				if err := writeJSONOut(c.App.Writer, results); err != nil {
					return withCode(exitInternal, err)
				}
			}
			if failed != nil {
				return withCode(exitInput, fmt.Errorf("verification failed"))
			}
			return nil
		},
	})
}

// verifyResult is one archive's outcome in coroner verify --json.
type verifyResult struct {
	Archive string `json:"archive"`
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
}
