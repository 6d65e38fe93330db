package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/coroner/coroner/analyze"
)

// causes are the verdict causes, in the confusion tables' order.
var causes = analyze.Causes

// Print writes, for each column in the order its rows come, the per-row
// table and the confusion matrix; then the per-family summary of every
// column side by side.
func Print(w io.Writer, rows []Row) {
	cols := columnsOf(rows)
	for _, c := range cols {
		cr := columnRows(rows, c)
		fmt.Fprintf(w, "== column %s: %d rows\n\n", c, len(cr))
		printRows(w, cr)
		fmt.Fprintln(w)
		printConfusion(w, cr)
		absent := countOutcome(cr, OutcomeAbsent)
		fmt.Fprintf(w, "\n%s: %d of %d rows pass (%d families absent)\n\n", c, passing(cr), len(cr)-absent, absent)
	}
	printFamilies(w, rows, cols)
}

func printRows(w io.Writer, rows []Row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tFAMILY\tEXPECTED\tVERDICT\tCULPRIT NAMED\tFALSE FINDINGS\tRESULT\tARCHIVE")
	for _, r := range rows {
		named := "-"
		if r.NeedsName {
			named = yesNo(r.Named)
		}
		res := "ok"
		switch {
		case r.Absent:
			named, res = "-", "absent"
		case !r.Pass():
			res = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d %s\t%s\t%s\n", r.Scenario, r.Family, r.Expected, r.Verdict, named,
			len(r.False), strings.Join(r.False, ","), res, r.Archive)
	}
	tw.Flush()
}

func printConfusion(w io.Writer, rows []Row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	m := map[[2]string]int{}
	other := false
	for _, r := range rows {
		if r.Absent {
			continue
		}
		m[[2]string{r.Expected, r.Verdict}]++
		if !r.Absent && !contains(causes, r.Verdict) {
			other = true
		}
	}
	cols := causes
	if other {
		cols = append(cols[:len(cols):len(cols)], "other")
	}
	fmt.Fprintln(tw, "expected \\ verdict\t"+strings.Join(cols, "\t"))
	for _, e := range causes {
		line := e
		for _, v := range cols {
			n := m[[2]string{e, v}]
			if v == "other" {
				n = 0
				for k, c := range m {
					if k[0] == e && !contains(causes, k[1]) {
						n += c
					}
				}
			}
			line += fmt.Sprintf("\t%d", n)
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
}

// printFamilies writes one line per family (the whole archive first) with
// each column's right, wrong, false-alarm and absent row counts.
func printFamilies(w io.Writer, rows []Row, cols []string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "FAMILY"
	for _, c := range cols {
		head += fmt.Sprintf("\t%s right\twrong\tfalse alarm\tabsent", c)
	}
	fmt.Fprintln(tw, head)
	names := []string{"all"}
	for _, f := range families {
		names = append(names, f.name)
	}
	type key struct{ col, fam, outcome string }
	n := map[key]int{}
	for _, r := range rows {
		if !contains(names, r.Family) {
			names = append(names, r.Family)
		}
		n[key{r.Column, r.Family, r.Outcome()}]++
	}
	for _, f := range names {
		line := f
		for _, c := range cols {
			line += fmt.Sprintf("\t%d\t%d\t%d\t%d", n[key{c, f, OutcomeRight}], n[key{c, f, OutcomeWrong}], n[key{c, f, OutcomeFalseAlarm}], n[key{c, f, OutcomeAbsent}])
		}
		fmt.Fprintln(tw, line)
	}
	total := "total"
	for _, c := range cols {
		cr := columnRows(rows, c)
		total += fmt.Sprintf("\t%d\t%d\t%d\t%d", passing(cr), countOutcome(cr, OutcomeWrong), countOutcome(cr, OutcomeFalseAlarm), countOutcome(cr, OutcomeAbsent))
	}
	fmt.Fprintln(tw, total)
	tw.Flush()
	fmt.Fprintln(w, "\nright: the row passes; wrong: a missed or misattributed cause, or the culprit not named; false alarm: a healthy incident given a cause or a warning finding; absent: the archive holds nothing the family reads, so nothing was checked.")
}

// columnsOf returns the rows' columns in order of first appearance.
func columnsOf(rows []Row) []string {
	var cols []string
	for _, r := range rows {
		if !contains(cols, r.Column) {
			cols = append(cols, r.Column)
		}
	}
	return cols
}

func columnRows(rows []Row, col string) []Row {
	var out []Row
	for _, r := range rows {
		if r.Column == col {
			out = append(out, r)
		}
	}
	return out
}

func passing(rows []Row) int { return countOutcome(rows, OutcomeRight) }

func countOutcome(rows []Row, o string) int {
	n := 0
	for _, r := range rows {
		if r.Outcome() == o {
			n++
		}
	}
	return n
}
