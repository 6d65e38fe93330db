package export

import (
	"cmp"
	"encoding/csv"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/coroner/coroner/analyze/gcstw"
	"github.com/coroner/coroner/reports"
)

// gcPausesHeader names the CSV's columns; units are in the names.
var gcPausesHeader = []string{"source", "cycle", "cycle_start_ns", "kind", "pause_start_ns", "pause_ns",
	"heap_start_bytes", "heap_end_bytes", "heap_live_bytes", "heap_goal_bytes", "forced"}

// mib is the unit of gctrace's heap sizes: the runtime prints "MB" for
// 2^20 bytes (runtime/mgc.go divides by 1<<20).
const mib = 1 << 20

// pauseRow is one line of the GC pause timeline.
type pauseRow struct {
	source string
	at     time.Duration
	cells  []string
}

// GCPausesCSV writes the GC pause timeline as CSV (RFC 4180: a header row,
// CRLF line ends, fields quoted when they hold a comma, quote or line
// break). Each gctrace cycle gives two rows, its sweep and mark
// termination pauses, with the cycle's number, start and heap sizes;
// pauses from an execution trace, from a source no gctrace cycle came
// from, give a row each with the stop's reason as kind and no heap sizes.
// Rows are sorted by source, then by start. Times are nanoseconds (since
// program start for gctrace, since the trace's start for a trace); heap
// sizes are bytes.
func GCPausesCSV(w io.Writer, g *gcstw.Result) error {
	var rows []pauseRow
	fromGCTrace := map[string]bool{}
	for _, c := range g.Cycles {
		fromGCTrace[c.Source] = true
		heaps := []string{heapBytes(c.HeapStart), heapBytes(c.HeapEnd), heapBytes(c.HeapLive), heapBytes(c.HeapGoal)}
		common := []string{csvText(c.Source), strconv.Itoa(c.N), ns(c.At)}
		sweepAt, markAt := c.At, c.At+c.SweepTerm+c.Mark
		rows = append(rows,
			pauseRow{c.Source, sweepAt, concat(common, []string{"sweep termination", ns(sweepAt), ns(c.SweepTerm)}, heaps, []string{strconv.FormatBool(c.Forced)})},
			pauseRow{c.Source, markAt, concat(common, []string{"mark termination", ns(markAt), ns(c.MarkTerm)}, heaps, []string{strconv.FormatBool(c.Forced)})})
	}
	for _, p := range g.Pauses {
		if fromGCTrace[p.Source] {
			continue
		}
		rows = append(rows, pauseRow{p.Source, p.At,
			[]string{csvText(p.Source), "", "", csvText(p.Kind), ns(p.At), ns(p.Duration), "", "", "", "", ""}})
	}
	slices.SortStableFunc(rows, func(a, b pauseRow) int {
		if c := cmp.Compare(a.source, b.source); c != 0 {
			return c
		}
		return cmp.Compare(a.at, b.at)
	})
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	cw.Write(gcPausesHeader)
	for _, r := range rows {
		cw.Write(r.cells)
	}
	cw.Flush()
	return cw.Error()
}

func concat(parts ...[]string) []string { return slices.Concat(parts...) }

func ns(d time.Duration) string { return strconv.FormatInt(int64(d), 10) }

// heapBytes turns a gctrace size in MB into bytes (gctrace rounds down,
// so 0 means under 1 MB); empty when not a size.
func heapBytes(mb float64) string {
	if mb < 0 || math.IsNaN(mb) || math.IsInf(mb, 0) {
		return ""
	}
	return strconv.FormatInt(int64(math.Round(mb*mib)), 10)
}

// csvText makes an untrusted string safe for a CSV cell opened in a
// spreadsheet: control characters escaped as in the reports, and a cell
// that would start a formula (=, +, -, @, as OWASP's CSV injection advice
// lists them) prefixed with a single quote, which spreadsheets show as
// text. Quoting is left to encoding/csv.
func csvText(s string) string {
	s = reports.SafeText(s)
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}
