package main

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/coroner/coroner/bundle/goroutines"
)

// goroutineHeader is the listing's header row.
var goroutineHeader = []string{"ID", "State", "Wait", "User frame", "Created by", "Labels"}

// printGoroutines lists every goroutine by ID as a table streamed row by
// row: a first pass over the census sizes the columns, a second renders
// each row and writes it. Only an order of indices is held, never a
// million rows of cells.
func printGoroutines(w io.Writer, c *goroutines.Census) error {
	order := make([]int, len(c.Goroutines))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ga, gb := c.Goroutines[a].ID, c.Goroutines[b].ID
		switch {
		case ga < gb:
			return -1
		case ga > gb:
			return 1
		}
		return 0
	})
	widths := tw.NewMapper[int, int]()
	for i, h := range goroutineHeader {
		widths.Set(i, twwidth.Width(strings.ToUpper(h))+2)
	}
	for _, i := range order {
		for col, cell := range goroutineRow(&c.Goroutines[i]) {
			if n := twwidth.Width(strings.TrimSpace(cell)) + 2; n > widths.Get(col) {
				widths.Set(col, n)
			}
		}
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	tbl := tablewriter.NewTable(bw, tablewriter.WithStreaming(tw.StreamConfig{Enable: true}), tablewriter.WithColumnWidths(widths))
	if err := tbl.Start(); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	tbl.Header(goroutineHeader)
	for _, i := range order {
		if err := tbl.Append(goroutineRow(&c.Goroutines[i])); err != nil {
			return fmt.Errorf("table: %w", err)
		}
	}
	if err := tbl.Close(); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	return bw.Flush()
}

// goroutineRow is one goroutine's row of the listing.
func goroutineRow(g *goroutines.Goroutine) []string {
	id := strconv.FormatInt(g.ID, 10)
	if g.ID < 0 {
		id = fmt.Sprintf("×%d", g.Count)
	}
	if g.Crashed {
		id += " (crashed)"
	}
	if g.System {
		id += " (sys)"
	}
	return []string{id, state(g.Status, g.WaitReason), waitRange(g.WaitMinutes, g.WaitMinutes),
		frameCell(userFrame(g.Frames)), frameCell(g.CreatedBy), labels(g.Labels)}
}
