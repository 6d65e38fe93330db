package main

import (
	"io"

	"github.com/olekukonko/tablewriter"
)

// newTable returns a table writer for w, in the one style every command's
// tables share.
func newTable(w io.Writer) *tablewriter.Table { return tablewriter.NewTable(w) }
