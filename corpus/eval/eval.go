// Command eval analyzes every corpus incident in two columns — collect:
// captures made by `coroner collect` (corpus/out/*.tar.zst, frozen ones in
// corpus/testdata/*.tar.zst); foreign: captures made with the plain tools
// and packed by `coroner ingest` (corpus/out/foreign/*.tar.zst, frozen ones
// in corpus/testdata/foreign/*.tar.zst) — and prints, per column, a
// confusion table: each scenario's expected primary cause against the
// verdict, whether the headline names the culprit, and false findings, for
// the whole archive and for each single-artifact-family reduction that
// carries the signal; then both columns' right, wrong, false-alarm and
// absent counts per family side by side. An archive's scenario is its "scenario"
// label. It exits 1 when a required check fails in either column. Run it
// with `make eval`.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/all"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/corpus"
	"github.com/coroner/coroner/internal/worker"
)

func main() {
	// Core censuses run in worker children: this binary re-executed.
	worker.Main()
	out := flag.String("out", "corpus/out", "directory of fresh collect captures (*.tar.zst)")
	frozen := flag.String("testdata", "corpus/testdata", "directory of frozen collect captures (*.tar.zst)")
	foreign := flag.String("foreign", "corpus/out/foreign", "directory of fresh foreign captures (*.tar.zst)")
	foreignFrozen := flag.String("foreign-testdata", "corpus/testdata/foreign", "directory of frozen foreign captures (*.tar.zst)")
	only := flag.String("columns", ColumnCollect+","+ColumnForeign, "columns to evaluate, comma-separated")
	scen := flag.String("scenarios", corpus.ScenariosDir, "scenarios directory with <scenario>/expected.json")
	jsonOut := flag.Bool("json", false, "print the rows as JSON instead of tables")
	noFamilies := flag.Bool("no-families", false, "skip the single-family reductions")
	flag.Parse()
	var cols []Column
	for _, c := range []Column{{ColumnCollect, []string{*out, *frozen}}, {ColumnForeign, []string{*foreign, *foreignFrozen}}} {
		if contains(strings.Split(*only, ","), c.Name) {
			cols = append(cols, c)
		}
	}
	if len(cols) == 0 {
		fmt.Fprintf(os.Stderr, "eval: -columns %q: want %s and/or %s\n", *only, ColumnCollect, ColumnForeign)
		os.Exit(2)
	}
	rows, err := Evaluate(context.Background(), Config{Columns: cols, Scenarios: *scen, Families: !*noFamilies})
	if err != nil {
		fmt.Fprintln(os.Stderr, "eval:", err)
		os.Exit(2)
	}
	if *jsonOut {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rows)
	} else {
		Print(os.Stdout, rows)
	}
	for _, r := range rows {
		if !r.Pass() {
			os.Exit(1)
		}
	}
}

// The columns make eval reports: how the incidents were captured.
const (
	// ColumnCollect holds captures made by `coroner collect`.
	ColumnCollect = "collect"
	// ColumnForeign holds captures made with curl, perf, kill -ABRT or
	// gcore and a container log, packed by `coroner ingest`.
	ColumnForeign = "foreign"
)

// Column is one way of capturing the corpus and the directories holding
// its archives (*.tar.zst, not recursive).
type Column struct {
	// Name is ColumnCollect or ColumnForeign; rows carry it.
	Name string
	// Dirs are globbed for *.tar.zst.
	Dirs []string
}

// Config says what to evaluate.
type Config struct {
	// Columns are evaluated in order; each must hold an archive.
	Columns   []Column
	Scenarios string
	Families  bool
	// Log receives progress lines (nil: stderr).
	Log io.Writer
}

// Row is one evaluated incident, whole or reduced to one family.
type Row struct {
	Column    string   `json:"column"`
	Archive   string   `json:"archive"`
	Scenario  string   `json:"scenario"`
	Family    string   `json:"family"`
	Expected  string   `json:"expected"`
	Verdict   string   `json:"verdict"`
	Culprit   string   `json:"culprit,omitempty"`
	Named     bool     `json:"culprit_named"`
	False     []string `json:"false_findings,omitempty"`
	Failed    []string `json:"failed_analyzers,omitempty"`
	Seconds   float64  `json:"seconds"`
	NeedsName bool     `json:"-"`
	// Absent marks a family whose primary kind the archive does not hold
	// (nothing of it was captured, or nothing recognized): no check.
	Absent bool `json:"absent,omitempty"`
}

// Pass reports whether the row meets the acceptance rules: the right
// cause, the culprit named when the scenario has one, and for healthy
// incidents no warning or critical finding. An absent row checks nothing
// and passes.
func (r Row) Pass() bool {
	if r.Absent {
		return true
	}
	if r.Verdict != r.Expected {
		return false
	}
	if r.NeedsName && !r.Named {
		return false
	}
	return r.Expected != analyze.CauseNone || len(r.False) == 0
}

// The outcomes of a row, as the per-family summary counts them.
const (
	// OutcomeRight is a row that passes.
	OutcomeRight = "right"
	// OutcomeWrong is a missed or misattributed cause, or a culprit not
	// named.
	OutcomeWrong = "wrong"
	// OutcomeFalseAlarm is a healthy incident given a cause or a warning.
	OutcomeFalseAlarm = "false alarm"
	// OutcomeAbsent is a family the archive holds nothing of.
	OutcomeAbsent = "absent"
)

// Outcome classifies the row: absent, right when it passes, a false alarm
// when a healthy incident fails, wrong otherwise.
func (r Row) Outcome() string {
	switch {
	case r.Absent:
		return OutcomeAbsent
	case r.Pass():
		return OutcomeRight
	case r.Expected == analyze.CauseNone:
		return OutcomeFalseAlarm
	}
	return OutcomeWrong
}

// Evaluate analyzes every archive found.
func Evaluate(ctx context.Context, c Config) ([]Row, error) {
	log := c.Log
	if log == nil {
		log = os.Stderr
	}
	exp, err := corpus.Load(c.Scenarios)
	if err != nil {
		return nil, err
	}
	byName := map[string]corpus.Expected{}
	for _, e := range exp {
		byName[e.Scenario] = e
	}
	if len(c.Columns) == 0 {
		return nil, fmt.Errorf("no columns to evaluate")
	}
	var rows []Row
	for _, col := range c.Columns {
		var archives []string
		for _, d := range col.Dirs {
			m, err := filepath.Glob(filepath.Join(d, "*.tar.zst"))
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", col.Name, err)
			}
			archives = append(archives, m...)
		}
		slices.Sort(archives)
		if len(archives) == 0 {
			return nil, fmt.Errorf("column %s: no archives in %s (run make corpus)", col.Name, strings.Join(col.Dirs, ", "))
		}
		for _, path := range archives {
			r, err := evalArchive(ctx, c, col.Name, path, byName, log)
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", col.Name, err)
			}
			rows = append(rows, r...)
		}
	}
	return rows, nil
}

// evalArchive evaluates one archive whole and, if c.Families, reduced to
// each family that carries its scenario's cause.
func evalArchive(ctx context.Context, c Config, column, path string, byName map[string]corpus.Expected, log io.Writer) ([]Row, error) {
	a, err := bundle.Open(path)
	if err != nil {
		return nil, err
	}
	label := a.Manifest().Labels["scenario"]
	e, ok := byName[label]
	if !ok {
		fmt.Fprintf(log, "eval: %s: scenario label %q names no scenario with an expected.json; skipped\n", path, label)
		return nil, nil
	}
	rows := []Row{evalOne(ctx, a, column, path, e, family{name: "all"}, log)}
	if !c.Families {
		return rows, nil
	}
	for _, f := range families {
		if !contains(carries[e.Primary], f.name) {
			continue
		}
		src, ok := reduce(a, f)
		if !ok {
			rows = append(rows, Row{Column: column, Archive: path, Scenario: e.Scenario, Family: f.name, Expected: e.Primary, Absent: true})
			continue
		}
		rows = append(rows, evalOne(ctx, src, column, path, e, f, log))
	}
	return rows, nil
}

func evalOne(ctx context.Context, src analyze.Source, column, path string, e corpus.Expected, f family, log io.Writer) Row {
	start := time.Now()
	r, err := analyze.Execute(ctx, src, all.Analyzers, analyze.Options{})
	// gctrace lines name no code, so a gctrace-only reduction cannot name
	// a culprit, nor can a log without a crash in it; every other family
	// carries stacks.
	named := f.name != "gctrace" && (f.name != "log" || e.Primary == analyze.CauseCrash)
	row := Row{Column: column, Archive: path, Scenario: e.Scenario, Family: f.name, Expected: e.Primary, NeedsName: len(e.Culprits) > 0 && named,
		Seconds: time.Since(start).Seconds()}
	if err != nil {
		row.Verdict = "error: " + err.Error()
		return row
	}
	row.Verdict = r.Verdict.Cause
	if r.Verdict.Culprit != nil {
		row.Culprit = r.Verdict.Culprit.Function
	}
	row.Named = culpritNamed(r, e)
	allowed := map[string]bool{e.Primary: true}
	for _, s := range e.Secondary {
		allowed[s] = true
	}
	// A cause the headline finding explains is reported as its
	// consequence, not as a rival: not a false finding either.
	for _, fd := range r.Findings {
		if fd.ID == r.Verdict.FindingID && r.Verdict.Cause == e.Primary {
			for _, c := range fd.Explains {
				allowed[c] = true
			}
		}
	}
	for _, fd := range r.Findings {
		if fd.Severity < analyze.Warning || fd.Analyzer == analyze.AnalysisName {
			continue
		}
		if e.Primary == analyze.CauseNone || (fd.Cause != "" && !allowed[fd.Cause]) {
			row.False = append(row.False, fd.ID)
		}
	}
	for _, run := range r.Analyzers {
		if run.Status == analyze.StatusFailed || run.Status == analyze.StatusTimeout {
			row.Failed = append(row.Failed, run.Name+": "+firstLine(run.Error))
		}
	}
	fmt.Fprintf(log, "eval: %s %s [%s] %s → %s (%.1fs)\n", column, filepath.Base(path), f.name, e.Primary, row.Verdict, row.Seconds)
	return row
}

// culpritNamed reports whether the headline finding blames one of the
// scenario's culprits (or, for crashes, its crash site): in the verdict's
// culprit or headline.
func culpritNamed(r *analyze.Result, e corpus.Expected) bool {
	names := append([]string(nil), e.Culprits...)
	if e.CrashSite != "" {
		names = append(names, e.CrashSite)
	}
	got := r.Verdict.Headline
	if r.Verdict.Culprit != nil {
		got += " " + r.Verdict.Culprit.Function
	}
	for _, n := range names {
		if n != "" && strings.Contains(got, n) {
			return true
		}
	}
	return false
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
