package source

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/coroner/coroner/analyze"
)

// lister builds listings for one result.
type lister struct {
	r       *analyze.Result
	roots   []*root
	ctx     int
	build   *analyze.BuildInfo
	samples map[string]*analyze.FileSamples
	// heads caches each checkout's HEAD by tree and .git path.
	heads    map[string]headResult
	warnings []string
	warned   map[string]bool
}

type headResult struct {
	rev string
	err error
}

func (l *lister) warn(format string, args ...any) {
	w := fmt.Sprintf(format, args...)
	if !l.warned[w] {
		l.warned[w] = true
		l.warnings = append(l.warnings, w)
	}
}

// listing finds file under the trees and reads the windows around ts.
func (l *lister) listing(file string, ts []analyze.Target) analyze.Listing {
	out := analyze.Listing{File: file, Targets: ts}
	rt, rel, f := l.find(file)
	if f == nil {
		l.warn("%s: not found under the source trees", file)
		return out
	}
	defer f.Close()
	out.Root, out.Path = rt.given, rel
	fs := l.samples[file]
	need := 0
	if fs != nil {
		for _, s := range fs.Lines {
			need = max(need, s.Line)
		}
	}
	for _, t := range ts {
		need = max(need, t.Line)
	}
	spans := spansOf(ts, l.ctx)
	w, err := readWindow(f, spans, need)
	if err != nil {
		l.warn("%s: %v", path.Join(rt.given, rel), err)
		return out
	}
	values := map[int]map[string]analyze.LineValues{}
	if fs != nil {
		for _, s := range fs.Lines {
			values[s.Line] = s.Values
		}
	}
	targeted := map[int]bool{}
	for _, t := range ts {
		targeted[t.Line] = true
	}
	for _, s := range spans {
		for n := s.from; n <= s.to; n++ {
			text, ok := w.text[n]
			if !ok {
				continue
			}
			out.Lines = append(out.Lines, analyze.SourceLine{Line: n, Text: text, Target: targeted[n], Values: values[n]})
		}
	}
	if w.known && w.lines < need {
		out.Stale = append(out.Stale, fmt.Sprintf("the file has %d lines, but the executable places samples or a culprit at line %d: it is not the file built", w.lines, need))
	}
	out.Stale = append(out.Stale, l.revisionCheck(rt, rel, file, ts)...)
	for _, s := range out.Stale {
		l.warn("%s: %s", path.Join(rt.given, rel), s)
	}
	return out
}

// find opens the first candidate path that exists under a tree, in the
// trees' order; a candidate leading out of its tree is refused with a
// warning and the search goes on.
func (l *lister) find(file string) (*root, string, *os.File) {
	for _, rt := range l.roots {
		for _, rel := range candidates(file, l.build, rt) {
			f, err := rt.open(rel)
			var esc *EscapeError
			switch {
			case err == nil:
				return rt, rel, f
			case errors.As(err, &esc):
				l.warn("%v", esc)
			case !errors.Is(err, errNotFound):
				l.warn("%v", err)
			}
		}
	}
	return nil, "", nil
}

// revisionCheck compares what the build recorded with the tree the file
// was found in: the main module's checkout HEAD against vcs.revision, and
// GOROOT's VERSION against the Go version for the standard library.
func (l *lister) revisionCheck(rt *root, rel, file string, ts []analyze.Target) []string {
	b := l.build
	if b == nil || fromModuleCache(rel) {
		return nil
	}
	var out []string
	if isMainModule(file, ts, b) {
		if b.VCSModified {
			out = append(out, "the executable was built from a checkout with uncommitted changes (vcs.modified): its lines may match no commit")
		}
		if b.VCSRevision == "" {
			return out
		}
		dotGit := l.findGit(rt, path.Dir(rel))
		if dotGit == "" {
			l.warn("%s: no git checkout above %s inside the tree, so vcs.revision %s was not compared", rt.given, rel, b.VCSRevision)
			return out
		}
		key := rt.real + "\x00" + dotGit
		h, ok := l.heads[key]
		if !ok {
			h.rev, h.err = headRevision(rt.fs, dotGit)
			l.heads[key] = h
		}
		switch {
		case h.err != nil:
			l.warn("%s: reading the checkout's HEAD: %v", path.Join(rt.given, dotGit), h.err)
		case !strings.EqualFold(h.rev, b.VCSRevision):
			out = append(out, fmt.Sprintf("the checkout %s is at %s, but the executable was built from %s (vcs.revision): the lines may have moved",
				rt.given, shortRev(h.rev), shortRev(b.VCSRevision)))
		}
		return out
	}
	if goVersion, _, _ := strings.Cut(strings.TrimSpace(b.GoVersion), " "); strings.HasPrefix(rel, "src/") && goVersion != "" {
		if v := goRootVersion(rt); v != "" && v != goVersion {
			out = append(out, fmt.Sprintf("GOROOT %s is %s, but the executable was built by %s", rt.given, v, b.GoVersion))
		}
	}
	return out
}

// findGit looks for a ".git" entry from dir up to the tree's top, never
// above it.
func (l *lister) findGit(rt *root, dir string) string {
	for {
		p := path.Join(dir, ".git")
		if rt.exists(p) {
			return p
		}
		if dir == "." || dir == "/" || dir == "" {
			return ""
		}
		dir = path.Dir(dir)
	}
}

// goRootVersion reads a GOROOT's VERSION file's first line, "" if none.
func goRootVersion(rt *root) string {
	data, err := readSmall(rt.fs, "VERSION")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(firstLine(data))
}

// shortRev abbreviates a commit hash as git does by default (12 digits
// keeps hashes unique in repositories of millions of objects).
func shortRev(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
