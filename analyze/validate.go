package analyze

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Validate checks a set of analyzers: every analyzer (and every analyzer it
// requires or orders after) has a non-empty unique name, a Doc and a Run
// function, and the requirement graph has no cycle.
func Validate(set []*Analyzer) error {
	var errs []error
	names := map[string]*Analyzer{}
	const (
		white = iota
		grey
		black
	)
	color := map[*Analyzer]int{}
	var visit func(a *Analyzer, path []string)
	visit = func(a *Analyzer, path []string) {
		switch color[a] {
		case black:
			return
		case grey:
			errs = append(errs, fmt.Errorf("analyzer cycle: %s -> %s", strings.Join(path, " -> "), a.Name))
			return
		}
		color[a] = grey
		if a.Name == "" {
			errs = append(errs, errors.New("analyzer with empty name"))
		} else if prev, ok := names[a.Name]; ok && prev != a {
			errs = append(errs, fmt.Errorf("duplicate analyzer name %q", a.Name))
		} else {
			names[a.Name] = a
		}
		if strings.TrimSpace(a.Doc) == "" {
			errs = append(errs, fmt.Errorf("analyzer %q has no Doc", a.Name))
		} else if err := checkDoc(a.Doc); err != nil {
			errs = append(errs, fmt.Errorf("analyzer %q: %w", a.Name, err))
		}
		if a.Run == nil {
			errs = append(errs, fmt.Errorf("analyzer %q has no Run function", a.Name))
		}
		for _, r := range a.Requires {
			if r != nil && r.RunsLast {
				errs = append(errs, fmt.Errorf("analyzer %q requires %q, which runs last", a.Name, r.Name))
			}
		}
		for _, r := range deps(a) {
			if r == nil {
				errs = append(errs, fmt.Errorf("analyzer %q requires a nil analyzer", a.Name))
				continue
			}
			visit(r, append(path, a.Name))
		}
		color[a] = black
	}
	for _, a := range set {
		if a == nil {
			errs = append(errs, errors.New("nil analyzer in set"))
			continue
		}
		visit(a, nil)
	}
	return errors.Join(errs...)
}

// deps returns the analyzers a must run after: its requirements, then the
// analyzers it merely orders after.
func deps(a *Analyzer) []*Analyzer {
	out := make([]*Analyzer, 0, len(a.Requires)+len(a.After))
	out = append(out, a.Requires...)
	return append(out, a.After...)
}

// order returns the analyzers of set and all they depend on, dependencies
// first; ties keep the order of set (then of Requires), so the order is
// deterministic. The set must have passed Validate.
func order(set []*Analyzer) []*Analyzer {
	seen := map[*Analyzer]bool{}
	var out []*Analyzer
	var visit func(a *Analyzer)
	visit = func(a *Analyzer) {
		if seen[a] {
			return
		}
		seen[a] = true
		for _, r := range deps(a) {
			visit(r)
		}
		out = append(out, a)
	}
	for _, a := range set {
		visit(a)
	}
	// Those that run last come after all the others, in their order.
	slices.SortStableFunc(out, func(a, b *Analyzer) int {
		switch {
		case a.RunsLast == b.RunsLast:
			return 0
		case a.RunsLast:
			return 1
		}
		return -1
	})
	return out
}

// maxDocTitle bounds the first line of an analyzer's Doc: it is the
// analyzer's one-line entry in --help and the reports, beside its name
// (x/tools' analyzers keep theirs as short).
const maxDocTitle = 60

// checkDoc checks Doc's shape: a title line of at most maxDocTitle
// characters, then, if there is more, a blank line and paragraphs.
func checkDoc(doc string) error {
	title, rest, more := strings.Cut(doc, "\n")
	switch {
	case len([]rune(title)) > maxDocTitle:
		return fmt.Errorf("Doc title %q is longer than %d characters", title, maxDocTitle)
	case more && !strings.HasPrefix(rest, "\n"):
		return fmt.Errorf("Doc title %q is not followed by a blank line", title)
	}
	return nil
}

// DocTitle returns the first line of an analyzer's Doc.
func (a *Analyzer) DocTitle() string {
	title, _, _ := strings.Cut(a.Doc, "\n")
	return title
}
