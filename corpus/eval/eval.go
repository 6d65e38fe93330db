// Command eval analyzes every corpus incident — fresh captures in
// corpus/out/*.tar.zst and frozen ones in corpus/testdata/*.tar.zst — and
// prints a confusion table: each scenario's expected primary cause against
// the verdict, whether the headline names the culprit, and false findings,
// for the whole archive and for each single-artifact-family reduction that
// carries the signal. It exits 1 when a required check fails. Run it with
// `make eval`.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
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
	out := flag.String("out", "corpus/out", "directory of fresh captures (<scenario>.tar.zst)")
	frozen := flag.String("testdata", "corpus/testdata", "directory of frozen captures (<scenario>*.tar.zst)")
	scen := flag.String("scenarios", corpus.ScenariosDir, "scenarios directory with <scenario>/expected.json")
	jsonOut := flag.Bool("json", false, "print the rows as JSON instead of tables")
	noFamilies := flag.Bool("no-families", false, "skip the single-family reductions")
	flag.Parse()
	rows, err := Evaluate(context.Background(), Config{Dirs: []string{*out, *frozen}, Scenarios: *scen, Families: !*noFamilies})
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

// Config says what to evaluate.
type Config struct {
	Dirs      []string
	Scenarios string
	Families  bool
	// Log receives progress lines (nil: stderr).
	Log io.Writer
}

// Row is one evaluated incident, whole or reduced to one family.
type Row struct {
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
}

// Pass reports whether the row meets the acceptance rules: the right
// cause, the culprit named when the scenario has one, and for healthy
// incidents no warning or critical finding.
func (r Row) Pass() bool {
	if r.Verdict != r.Expected {
		return false
	}
	if r.NeedsName && !r.Named {
		return false
	}
	return r.Expected != analyze.CauseNone || len(r.False) == 0
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
	var archives []string
	for _, d := range c.Dirs {
		m, _ := filepath.Glob(filepath.Join(d, "*.tar.zst"))
		archives = append(archives, m...)
	}
	sort.Strings(archives)
	if len(archives) == 0 {
		return nil, fmt.Errorf("no archives in %s (run make corpus)", strings.Join(c.Dirs, ", "))
	}
	var rows []Row
	for _, path := range archives {
		a, err := bundle.Open(path)
		if err != nil {
			return nil, err
		}
		e, ok := scenarioOf(a.Manifest(), path, byName)
		if !ok {
			fmt.Fprintf(log, "eval: %s: no scenario with an expected.json; skipped\n", path)
			continue
		}
		rows = append(rows, evalOne(ctx, a, path, e, family{name: "all"}, log))
		if !c.Families {
			continue
		}
		for _, f := range families {
			if !contains(carries[e.Primary], f.name) {
				continue
			}
			src, ok := reduce(a, f)
			if !ok {
				continue
			}
			rows = append(rows, evalOne(ctx, src, path, e, f, log))
		}
	}
	return rows, nil
}

// scenarioOf finds the scenario by the manifest's "scenario" label, else by
// the file name (<scenario>.tar.zst or <scenario>-<anything>.tar.zst).
func scenarioOf(m *bundle.Manifest, path string, byName map[string]corpus.Expected) (corpus.Expected, bool) {
	if e, ok := byName[m.Labels["scenario"]]; ok {
		return e, true
	}
	base := strings.TrimSuffix(filepath.Base(path), ".tar.zst")
	if e, ok := byName[base]; ok {
		return e, true
	}
	best := ""
	for n := range byName {
		if strings.HasPrefix(base, n) && len(n) > len(best) {
			best = n
		}
	}
	e, ok := byName[best]
	return e, ok && best != ""
}

func evalOne(ctx context.Context, src analyze.Source, path string, e corpus.Expected, f family, log io.Writer) Row {
	start := time.Now()
	r, err := analyze.Execute(ctx, src, all.Analyzers, analyze.Options{})
	// gctrace lines name no code, so a gctrace-only reduction cannot name
	// a culprit, nor can a log without a crash in it; every other family
	// carries stacks.
	named := f.name != "gctrace" && (f.name != "log" || e.Primary == analyze.CauseCrash)
	row := Row{Archive: path, Scenario: e.Scenario, Family: f.name, Expected: e.Primary, NeedsName: len(e.Culprits) > 0 && named,
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
	fmt.Fprintf(log, "eval: %s [%s] %s → %s (%.1fs)\n", filepath.Base(path), f.name, e.Primary, row.Verdict, row.Seconds)
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

// Print writes the per-row table and the confusion matrix.
func Print(w io.Writer, rows []Row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tFAMILY\tEXPECTED\tVERDICT\tCULPRIT NAMED\tFALSE FINDINGS\tRESULT\tARCHIVE")
	for _, r := range rows {
		named := "-"
		if r.NeedsName {
			named = yesNo(r.Named)
		}
		res := "ok"
		if !r.Pass() {
			res = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d %s\t%s\t%s\n", r.Scenario, r.Family, r.Expected, r.Verdict, named,
			len(r.False), strings.Join(r.False, ","), res, filepath.Base(r.Archive))
	}
	tw.Flush()
	fmt.Fprintln(w)
	causes := []string{analyze.CauseGCSTW, analyze.CauseNetpollSpin, analyze.CauseSyncPoolContention, analyze.CauseLockWait,
		analyze.CauseCrash, analyze.CauseDeadlock, analyze.CauseNone}
	m := map[[2]string]int{}
	other := false
	for _, r := range rows {
		m[[2]string{r.Expected, r.Verdict}]++
		if !contains(causes, r.Verdict) {
			other = true
		}
	}
	cols := causes
	if other {
		cols = append(cols, "other")
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
	pass := 0
	for _, r := range rows {
		if r.Pass() {
			pass++
		}
	}
	fmt.Fprintf(w, "\n%d of %d rows pass\n", pass, len(rows))
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
