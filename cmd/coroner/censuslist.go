package main

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/coroner/coroner/bundle/goroutines"
)

// goroutineHeader is the listing's header row.
var goroutineHeader = []string{"ID", "State", "Wait", "User frame", "Created by", "Labels"}

// printGoroutines lists every goroutine by ID as a table written row by
// row: a first pass over the census sizes the columns, a second renders
// each row and writes it. Only an order of indices is held, never a
// million rows of cells. The table is drawn as tablewriter draws the
// other tables (box lines, headers upper-cased and centred, cells
// left-aligned with a space either side), which its per-row layout
// machinery made the slowest part of listing 100k goroutines.
func printGoroutines(w io.Writer, c *goroutines.Census) error {
	order := make([]int, len(c.Goroutines))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(c.Goroutines[a].ID, c.Goroutines[b].ID)
	})
	header := make([]string, len(goroutineHeader))
	widths := make([]int, len(goroutineHeader))
	for i, h := range goroutineHeader {
		header[i] = strings.ToUpper(h)
		widths[i] = cellWidth(header[i])
	}
	for _, i := range order {
		for col, cell := range goroutineRow(&c.Goroutines[i]) {
			widths[col] = max(widths[col], cellWidth(cell))
		}
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	rule(bw, widths, "┌", "┬", "┐")
	bw.WriteString("│")
	for col, h := range header {
		pad := widths[col] - cellWidth(h)
		fmt.Fprintf(bw, " %s%s%s │", strings.Repeat(" ", pad/2), h, strings.Repeat(" ", pad-pad/2))
	}
	bw.WriteString("\n")
	rule(bw, widths, "├", "┼", "┤")
	for _, i := range order {
		bw.WriteString("│")
		for col, cell := range goroutineRow(&c.Goroutines[i]) {
			fmt.Fprintf(bw, " %s%s │", cell, strings.Repeat(" ", widths[col]-cellWidth(cell)))
		}
		bw.WriteString("\n")
	}
	rule(bw, widths, "└", "┴", "┘")
	return bw.Flush()
}

// rule draws a horizontal line of the table: left, the columns joined
// by mid, right.
func rule(w *bufio.Writer, widths []int, left, mid, right string) {
	w.WriteString(left)
	for col, n := range widths {
		if col > 0 {
			w.WriteString(mid)
		}
		w.WriteString(strings.Repeat("─", n+2))
	}
	w.WriteString(right + "\n")
}

// cellWidth is how many terminal columns s takes: its length when it is
// plain ASCII, as most cells are, else as tablewriter measures it.
func cellWidth(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] < 0x20 {
			return twwidth.Width(s)
		}
	}
	return len(s)
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
	row := []string{id, state(g.Status, g.WaitReason), waitRange(g.WaitMinutes, g.WaitMinutes),
		frameCell(userFrame(g.Frames)), frameCell(g.CreatedBy), labels(g.Labels)}
	for i := range row {
		row[i] = strings.TrimSpace(row[i]) // as tablewriter trims its cells
	}
	return row
}
