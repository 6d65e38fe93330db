package analyze

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Run statuses recorded in Result.Analyzers.
const (
	StatusOK      = "ok"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
	StatusTimeout = "timeout"
)

// AnalysisName is the analyzer name on findings about the analysis itself
// (an analyzer that failed, panicked or ran out of time).
const AnalysisName = "analysis"

// node is one analyzer's state during a Run.
type node struct {
	a     *Analyzer
	index int
	deps  []*node // Requires then After
	reqs  []*node // Requires only
	done  chan struct{}

	mu       sync.Mutex
	closed   bool // set when the analyzer's outcome is final; late reports are dropped
	status   string
	err      string
	result   any
	findings []Finding
	used     map[string]bool
	warnings []string
}

// Execute runs the analyzers of set (and those they require) over src and
// collects their findings into a Result. Independent analyzers run in
// parallel, each under o.Budget; an analyzer that fails, panics or times out
// becomes a finding about the analysis and its dependents are skipped, while
// the others go on. Execute returns an error only for an invalid set or options,
// or — together with the partial result — when ctx ends before all
// analyzers finished.
func Execute(ctx context.Context, src Source, set []*Analyzer, o Options) (*Result, error) {
	if err := Validate(set); err != nil {
		return nil, err
	}
	all := order(set)
	run, skip, err := selectAnalyzers(all, o)
	if err != nil {
		return nil, err
	}
	budget := o.Budget
	if budget <= 0 {
		budget = DefaultBudget
	}
	nodes := map[*Analyzer]*node{}
	var list []*node
	for _, a := range all {
		if !run[a] {
			continue
		}
		n := &node{a: a, index: len(list), done: make(chan struct{}), used: map[string]bool{}}
		for _, d := range deps(a) {
			if dn := nodes[d]; dn != nil {
				n.deps = append(n.deps, dn)
			}
		}
		for _, d := range a.Requires {
			if dn := nodes[d]; dn != nil {
				n.reqs = append(n.reqs, dn)
			}
		}
		nodes[a] = n
		list = append(list, n)
	}
	// An analyzer that runs last waits for every other one that runs.
	for _, n := range list {
		if !n.a.RunsLast {
			continue
		}
		for _, m := range list {
			if !m.a.RunsLast && !slices.Contains(n.deps, m) {
				n.deps = append(n.deps, m)
			}
		}
	}
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for _, n := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(n.done)
			for _, d := range n.deps {
				<-d.done
			}
			if skip[n.a] != "" {
				n.finish(StatusSkipped, skip[n.a], nil)
				return
			}
			if failed := failedPrereqs(n); len(failed) > 0 {
				n.finish(StatusSkipped, "failed prerequisites: "+strings.Join(failed, ", "), nil)
				return
			}
			if ctx.Err() != nil {
				n.finish(StatusTimeout, fmt.Sprintf("not started: %v", ctx.Err()), nil)
				return
			}
			if !n.a.Offloaded {
				sem <- struct{}{}
				defer func() { <-sem }()
			}
			execute(ctx, src, n, budget, o)
		}()
	}
	wg.Wait()
	r := assemble(src, list)
	if o.Results != nil {
		for _, n := range list {
			if n.status == StatusOK {
				o.Results(n.a, n.result)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return r, fmt.Errorf("analysis ended early: %w", err)
	}
	return r, nil
}

// selectAnalyzers applies Only and Skip: run is what gets a Run record,
// skip maps analyzers that are recorded but not executed to the reason.
func selectAnalyzers(all []*Analyzer, o Options) (run map[*Analyzer]bool, skip map[*Analyzer]string, err error) {
	byName := map[string]*Analyzer{}
	for _, a := range all {
		if !a.Internal {
			byName[a.Name] = a
		}
	}
	for _, name := range append(append([]string(nil), o.Only...), o.Skip...) {
		if _, ok := byName[name]; !ok {
			known := make([]string, 0, len(byName))
			for n := range byName {
				known = append(known, n)
			}
			slices.Sort(known)
			return nil, nil, fmt.Errorf("unknown analyzer %q (known: %s)", name, strings.Join(known, ", "))
		}
	}
	run = map[*Analyzer]bool{}
	if len(o.Only) == 0 {
		for _, a := range all {
			run[a] = true
		}
	} else {
		for _, name := range o.Only {
			withRequirements(run, byName[name])
		}
	}
	skip = map[*Analyzer]string{}
	for _, name := range o.Skip {
		skip[byName[name]] = "skipped on request"
	}
	dropUnneededInternal(run, skip)
	return run, skip, nil
}

// dropUnneededInternal removes from run the internal analyzers that no
// analyzer left to execute requires, directly or through others: with
// every analyzer of profiles skipped, no profile is decoded.
func dropUnneededInternal(run map[*Analyzer]bool, skip map[*Analyzer]string) {
	needed := map[*Analyzer]bool{}
	for a := range run {
		if !a.Internal && skip[a] == "" {
			withRequirements(needed, a.Requires...)
		}
	}
	for a := range run {
		if a.Internal && !needed[a] {
			delete(run, a)
		}
	}
}

// withRequirements adds roots to set, and every analyzer they require,
// directly or through others.
func withRequirements(set map[*Analyzer]bool, roots ...*Analyzer) {
	for _, a := range roots {
		if !set[a] {
			set[a] = true
			withRequirements(set, a.Requires...)
		}
	}
}

// failedPrereqs names the required analyzers that did not succeed.
func failedPrereqs(n *node) []string {
	var out []string
	for _, d := range n.reqs {
		d.mu.Lock()
		if d.status != StatusOK {
			out = append(out, d.a.Name)
		}
		d.mu.Unlock()
	}
	return out
}

// finish records the analyzer's outcome once; later calls are ignored.
func (n *node) finish(status, errText string, result any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	n.closed = true
	n.status, n.err, n.result = status, errText, result
}

// execute runs one analyzer under its budget, turning a panic, an error or
// an expired budget into its outcome.
func execute(ctx context.Context, src Source, n *node, budget time.Duration, o Options) {
	bctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	results := map[*Analyzer]any{}
	closure := dependencyClosure(n)
	for _, d := range closure {
		d.mu.Lock()
		results[d.a] = d.result
		d.mu.Unlock()
	}
	pass := NewPass(bctx, n.a, src, results, n.report, n.markUsed, n.warn)
	pass.Force, pass.DebugBinary = o.Force, o.DebugBinary
	pass.findings = func() []Finding {
		var fs []Finding
		for _, d := range closure {
			d.mu.Lock()
			fs = append(fs, d.findings...)
			d.mu.Unlock()
		}
		sortFindings(fs, nil)
		return fs
	}
	type outcome struct {
		v   any
		err error
	}
	ch := make(chan outcome, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- outcome{err: fmt.Errorf("panic: %v\n%s", p, trimStack(debug.Stack()))}
			}
		}()
		v, err := n.a.Run(pass)
		ch <- outcome{v, err}
	}()
	select {
	case out := <-ch:
		switch {
		case out.err == nil:
			if err := checkResultType(n.a, out.v); err != nil {
				n.finish(StatusFailed, err.Error(), nil)
				return
			}
			n.finish(StatusOK, "", out.v)
		case bctx.Err() != nil && errors.Is(out.err, bctx.Err()):
			n.finish(StatusTimeout, timeoutText(ctx, budget), nil)
		default:
			n.finish(StatusFailed, out.err.Error(), nil)
		}
	case <-bctx.Done():
		n.finish(StatusTimeout, timeoutText(ctx, budget), nil)
	}
}

// checkResultType refuses a result whose type is not the declared
// ResultType: dependents read it through typed accessors.
func checkResultType(a *Analyzer, v any) error {
	if v == nil {
		return nil
	}
	if t := reflect.TypeOf(v); t != a.ResultType {
		return fmt.Errorf("internal error: analyzer %q returned a %s, declared %v", a.Name, t, a.ResultType)
	}
	return nil
}

func timeoutText(parent context.Context, budget time.Duration) string {
	if parent.Err() != nil {
		return fmt.Sprintf("interrupted: %v", parent.Err())
	}
	return fmt.Sprintf("time budget of %s exceeded", budget)
}

// trimStack keeps the panic stack readable in a finding: the frames from
// the panicking function on, at most 40 lines.
func trimStack(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "panic(") {
			lines = lines[i:]
			break
		}
	}
	const maxLines = 40
	if len(lines) > maxLines {
		lines = append(lines[:maxLines], "…")
	}
	return strings.Join(lines, "\n")
}

// dependencyClosure lists every node n transitively runs after.
func dependencyClosure(n *node) []*node {
	seen := map[*node]bool{}
	var out []*node
	var visit func(m *node)
	visit = func(m *node) {
		for _, d := range m.deps {
			if !seen[d] {
				seen[d] = true
				visit(d)
				out = append(out, d)
			}
		}
	}
	visit(n)
	sort.Slice(out, func(i, j int) bool { return out[i].index < out[j].index })
	return out
}

func (n *node) report(f Finding) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	f.Analyzer, f.Version = n.a.Name, n.a.Version
	if f.ID == "" {
		f.ID = n.a.Name + "/" + Slug(f.Title)
	}
	n.findings = append(n.findings, f)
}

func (n *node) markUsed(path string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.closed {
		n.used[path] = true
	}
}

func (n *node) warn(msg string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.closed {
		n.warnings = append(n.warnings, n.a.Name+": "+msg)
	}
}
