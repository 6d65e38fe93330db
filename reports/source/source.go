// Package source finds the files a result's culprits and hottest lines are
// in, under source trees the user names (a module root, a checkout at the
// executable's VCS revision, the module cache, GOROOT), and adds to the
// result a window of each with the samples per line, as `go tool pprof
// -list` shows them. It maps the executable's file names (trimmed or
// absolute) to files with the build information the analysis recorded,
// reads nothing outside the trees (a symbolic link leading out is refused
// with a warning naming it), and flags a file that cannot be the one built:
// shorter than a sampled line, or in a checkout whose HEAD is not the
// executable's vcs.revision.
package source

import (
	"cmp"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/coroner/coroner/analyze"
)

// DefaultContext is how many lines a listing shows either side of a
// target line: five, as a code review shows around a change.
const DefaultContext = 5

// MaxContext bounds Options.Context, so a listing stays a window: 100
// lines either side already shows most functions whole.
const MaxContext = 100

// maxListings bounds the files listed: one per culprit and hot line, as
// many as the result's line samples carry (lines.maxFiles).
const maxListings = 64

// Options say where to look and how much to show.
type Options struct {
	// Roots are the source trees, searched in order.
	Roots []string
	// Context is how many lines to show either side of a target line.
	Context int
}

// Attach lists the source at r's culprits and hottest lines into
// r.Source, and returns the warnings it also records there (files not
// found, refused or stale). It fails only when a tree cannot be opened or
// the options are out of range.
func Attach(r *analyze.Result, o Options) ([]string, error) {
	if o.Context < 0 || o.Context > MaxContext {
		return nil, fmt.Errorf("source context %d is out of range 0–%d", o.Context, MaxContext)
	}
	if len(o.Roots) == 0 {
		return nil, errors.New("no source tree given")
	}
	var roots []*root
	defer func() {
		for _, rt := range roots {
			rt.close()
		}
	}()
	for _, g := range o.Roots {
		rt, err := openRoot(g)
		if err != nil {
			return nil, err
		}
		roots = append(roots, rt)
	}
	l := &lister{r: r, roots: roots, ctx: o.Context, heads: map[string]headResult{}, warned: map[string]bool{}}
	if r.Lines != nil {
		l.build = r.Lines.Build
		l.samples = map[string]*analyze.FileSamples{}
		for i := range r.Lines.Files {
			l.samples[r.Lines.Files[i].File] = &r.Lines.Files[i]
		}
	} else {
		l.warn("the result holds no line samples (it was written by an earlier coroner): source is listed without them")
	}
	v := &analyze.SourceView{Roots: slices.Clone(o.Roots), Context: o.Context, Listings: []analyze.Listing{}}
	for _, t := range targetsOf(r) {
		v.Listings = append(v.Listings, l.listing(t.file, t.targets))
	}
	v.Warnings = l.warnings
	r.Source = v
	return v.Warnings, nil
}

// fileTargets are the target lines of one file.
type fileTargets struct {
	file    string
	targets []analyze.Target
}

// targetsOf collects the lines to list, by file in order of first
// appearance: the primary finding's culprit, the other findings', then the
// hottest lines.
func targetsOf(r *analyze.Result) []fileTargets {
	var out []fileTargets
	idx := map[string]int{}
	add := func(file string, t analyze.Target) {
		if file == "" || t.Line <= 0 {
			return
		}
		i, ok := idx[file]
		if !ok {
			if len(out) >= maxListings {
				return
			}
			i = len(out)
			idx[file] = i
			out = append(out, fileTargets{file: file})
		}
		if !slices.Contains(out[i].targets, t) {
			out[i].targets = append(out[i].targets, t)
		}
	}
	fs := slices.Clone(r.Findings)
	slices.SortStableFunc(fs, func(a, b analyze.Finding) int {
		return cmp.Compare(boolRank(b.ID == r.Verdict.FindingID), boolRank(a.ID == r.Verdict.FindingID))
	})
	for _, f := range fs {
		if c := f.Culprit; c != nil {
			add(c.File, analyze.Target{Line: c.Line, Function: c.Function, FindingID: f.ID})
		}
	}
	if r.Lines != nil {
		for _, h := range r.Lines.Hot {
			add(h.File, analyze.Target{Line: h.Line, Function: h.Function, HotKind: h.Kind})
		}
	}
	for i := range out {
		slices.SortStableFunc(out[i].targets, func(a, b analyze.Target) int { return cmp.Compare(a.Line, b.Line) })
	}
	return out
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// spansOf merges the windows around target lines.
func spansOf(ts []analyze.Target, ctx int) []span {
	var out []span
	for _, t := range ts {
		s := span{max(1, t.Line-ctx), t.Line + ctx}
		if n := len(out); n > 0 && s.from <= out[n-1].to+1 {
			out[n-1].to = max(out[n-1].to, s.to)
			continue
		}
		out = append(out, s)
	}
	return out
}

// isMainModule reports whether a file belongs to the main module, whose
// checkout's revision the build recorded: by its trimmed name, or, for an
// absolute name, by its functions' package.
func isMainModule(file string, ts []analyze.Target, b *analyze.BuildInfo) bool {
	if b == nil || b.MainPath == "" {
		return false
	}
	if strings.HasPrefix(file, b.MainPath+"/") {
		return true
	}
	if !path.IsAbs(file) {
		return false
	}
	for _, t := range ts {
		if strings.HasPrefix(t.Function, "main.") || strings.HasPrefix(t.Function, b.MainPath+".") || strings.HasPrefix(t.Function, b.MainPath+"/") {
			return true
		}
	}
	return false
}
