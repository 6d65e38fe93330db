package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// outputFlags returns the -o/--output flag every command that writes a
// file or directory takes, and hidden flags for the names the same option
// had before (batch --out, extract -C), so scripts written for those keep
// working without the help and completions offering two spellings.
func outputFlags(value, usage string, formerly ...string) []cli.Flag {
	flags := []cli.Flag{&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: value, Usage: usage, TakesFile: true}}
	for _, n := range formerly {
		flags = append(flags, &cli.StringFlag{Name: n, Hidden: true, Usage: "former name of --output"})
	}
	return flags
}

// outputValue returns --output, or the value given under one of its former
// names; two different values are a usage error.
func outputValue(c *cli.Context, formerly ...string) (string, error) {
	v, from := c.String("output"), "--output"
	for _, n := range formerly {
		if !c.IsSet(n) {
			continue
		}
		old := c.String(n)
		if c.IsSet("output") || from != "--output" {
			if old != v {
				return "", withCode(exitUsage, fmt.Errorf("%s %q and %s %q: give one", from, v, flagSpelling(n), old))
			}
			continue
		}
		v, from = old, flagSpelling(n)
	}
	return v, nil
}

// flagSpelling writes a flag name as it is typed: -C, --out.
func flagSpelling(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// jsonFlag is the --json switch of the commands that print JSON for bots
// instead of text for people; usage says what they print.
func jsonFlag(usage string) cli.Flag {
	return &cli.BoolFlag{Name: "json", Usage: usage}
}
