package main

import (
	"path/filepath"

	"github.com/urfave/cli/v2"
)

// debugBinaryFlag names a debug twin of a stripped executable: the same
// program built from the same revision without -ldflags=-s -w. prefix
// begins the usage text.
func debugBinaryFlag(prefix string) cli.Flag {
	return &cli.StringFlag{Name: "debug-binary", Usage: prefix + "read a stripped executable's core with the DWARF and symbols of `FILE`, an unstripped build of the same code (checked section by section)"}
}

// debugBinary is --debug-binary made absolute, so a worker child running
// elsewhere finds it; "" when unset.
func debugBinary(c *cli.Context) string {
	p := c.String("debug-binary")
	if p == "" {
		return ""
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}
