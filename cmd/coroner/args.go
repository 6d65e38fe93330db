package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// atLeastOne is checkArgs's count for commands that take one or more
// arguments.
const atLeastOne = -1

// checkArgs is the usage error of a command given another number of
// arguments than it takes: want of them (atLeastOne: one or more), named
// by what ("ARCHIVE", "OLD and NEW"). It is nil when the count is right.
func checkArgs(c *cli.Context, want int, what string) error {
	n := c.NArg()
	switch {
	case n == want, want == atLeastOne && n > 0:
		return nil
	case want == atLeastOne:
		return withCode(exitUsage, fmt.Errorf("%s: name at least one %s", c.Command.Name, what))
	case want == 0:
		return withCode(exitUsage, fmt.Errorf("%s: takes no arguments", c.Command.Name))
	case want == 1:
		return withCode(exitUsage, fmt.Errorf("%s: name one %s", c.Command.Name, what))
	}
	return withCode(exitUsage, fmt.Errorf("%s: want %s", c.Command.Name, what))
}
