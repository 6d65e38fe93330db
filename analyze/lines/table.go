package lines

import (
	"cmp"
	"slices"
	"strings"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/internal/stacks"
)

// Bounds on what the result keeps; the table itself holds every sampled
// line, which the profiles already bound (pprofs.MaxProfileBytes).
const (
	// hotPerKind is how many hottest user lines are listed per kind:
	// three windows of source per kind keep the report readable, and the
	// heaviest line of a profile usually outweighs the fourth several
	// times over.
	hotPerKind = 3
	// maxFiles bounds the files whose lines the result carries: one per
	// finding's culprit and hot line; analyses report a few dozen findings
	// at most.
	maxFiles = 64
	// maxLinesPerFile bounds the sampled lines kept per file, heaviest
	// first. The longest files of the Go tree and common modules have a
	// few thousand lines, and only a fraction are ever sampled.
	maxLinesPerFile = 2000
)

// pos is a source line.
type pos struct {
	file string
	line int
}

// counts are one line's samples per kind, in kinds' order.
type counts [4]analyze.LineValues

// Table is the lines analyzer's result: every sampled line with its
// samples per kind, and per kind the value charged to each user line.
type Table struct {
	kinds []analyze.SampleKind
	lines map[pos]*counts
	// user holds, per kind, the value of samples whose innermost user
	// frame is at the line.
	user  [4]map[pos]int64
	funcs map[pos]string
	build *analyze.BuildInfo
	// seen is add's scratch set of the lines on one stack.
	seen map[pos]bool
}

func newTable() *Table {
	t := &Table{lines: map[pos]*counts{}, funcs: map[pos]string{}, seen: map[pos]bool{}}
	for i, k := range kinds {
		t.kinds = append(t.kinds, analyze.SampleKind{Name: k.name, Unit: k.unit})
		t.user[i] = map[pos]int64{}
	}
	return t
}

// add charges one sample of value v (stack innermost first) to kind k:
// flat to its innermost frame's line, cumulative once to every line on
// the stack, and the user value to its innermost user frame's line.
func (t *Table) add(k int, st []stacks.Frame, v int64) {
	if v <= 0 || len(st) == 0 {
		return
	}
	t.kinds[k].Total += v
	seen := t.seen
	clear(seen)
	for i, f := range st {
		if f.File == "" || f.Line <= 0 {
			continue
		}
		p := pos{f.File, f.Line}
		c := t.lines[p]
		if c == nil {
			c = &counts{}
			t.lines[p] = c
			t.funcs[p] = f.Func
		}
		if i == 0 {
			c[k].Flat += v
		}
		if !seen[p] {
			seen[p] = true
			c[k].Cum += v
		}
	}
	if u := firstUser(st); u >= 0 {
		t.user[k][pos{st[u].File, st[u].Line}] += v
	}
}

func firstUser(st []stacks.Frame) int {
	for i, f := range st {
		if isUser(f) {
			return i
		}
	}
	return -1
}

// ContributeTo adds the line samples of the files r's findings blame and
// of the hottest user lines.
func (t *Table) ContributeTo(r *analyze.Result) {
	v := &analyze.LineSamples{Build: t.build, Kinds: []analyze.SampleKind{}, Files: []analyze.FileSamples{}}
	present := map[string]bool{}
	for _, k := range t.kinds {
		if k.Total > 0 {
			if k.Sources == nil {
				k.Sources = []string{}
			}
			v.Kinds = append(v.Kinds, k)
			present[k.Name] = true
		}
	}
	files := map[string]bool{}
	var order []string
	want := func(f string) {
		if f != "" && !files[f] && len(order) < maxFiles {
			files[f] = true
			order = append(order, f)
		}
	}
	if c := r.Verdict.Culprit; c != nil {
		want(c.File)
	}
	for _, f := range r.Findings {
		if f.Culprit != nil {
			want(f.Culprit.File)
		}
	}
	for i, k := range t.kinds {
		for _, h := range t.hottest(i) {
			v.Hot = append(v.Hot, analyze.HotLine{Kind: k.Name, Function: t.funcs[h], File: h.file, Line: h.line, Value: t.user[i][h]})
			want(h.file)
		}
	}
	if len(order) == 0 && len(v.Kinds) == 0 {
		return
	}
	byFile := map[string][]analyze.LineSample{}
	for p, c := range t.lines {
		if !files[p.file] {
			continue
		}
		ls := analyze.LineSample{Line: p.line, Values: map[string]analyze.LineValues{}}
		for i, k := range t.kinds {
			if c[i] != (analyze.LineValues{}) {
				ls.Values[k.Name] = c[i]
			}
		}
		byFile[p.file] = append(byFile[p.file], ls)
	}
	slices.Sort(order)
	for _, f := range order {
		fs := analyze.FileSamples{File: f, Lines: byFile[f]}
		if n := len(fs.Lines); n > maxLinesPerFile {
			slices.SortFunc(fs.Lines, func(a, b analyze.LineSample) int {
				return cmp.Or(cmp.Compare(weight(b), weight(a)), cmp.Compare(a.Line, b.Line))
			})
			fs.Lines, fs.Truncated = fs.Lines[:maxLinesPerFile], n-maxLinesPerFile
		}
		slices.SortFunc(fs.Lines, func(a, b analyze.LineSample) int { return cmp.Compare(a.Line, b.Line) })
		if fs.Lines == nil {
			fs.Lines = []analyze.LineSample{}
		}
		v.Files = append(v.Files, fs)
	}
	if v.Build != nil {
		v.Build = withModulesOf(v.Build, order)
	}
	r.Lines = v
}

// weight ranks a line by its largest cumulative value over the kinds.
func weight(l analyze.LineSample) int64 {
	var w int64
	for _, c := range l.Values {
		w = max(w, c.Cum)
	}
	return w
}

// hottest returns kind k's hottest user lines, heaviest first, ties by
// file and line.
func (t *Table) hottest(k int) []pos {
	var ps []pos
	for p, v := range t.user[k] {
		if v > 0 {
			ps = append(ps, p)
		}
	}
	slices.SortFunc(ps, func(a, b pos) int {
		return cmp.Or(cmp.Compare(t.user[k][b], t.user[k][a]), cmp.Compare(a.file, b.file), cmp.Compare(a.line, b.line))
	})
	return ps[:min(len(ps), hotPerKind)]
}

// withModulesOf returns a copy of b keeping only the dependencies whose
// files are among files (a module path followed by "@" or "/").
func withModulesOf(b *analyze.BuildInfo, files []string) *analyze.BuildInfo {
	c := *b
	c.Modules = nil
	for _, m := range b.Modules {
		for _, f := range files {
			if i := strings.Index(f, m.Path); i >= 0 && (i == 0 || f[i-1] == '/') {
				rest := f[i+len(m.Path):]
				if strings.HasPrefix(rest, "@") || strings.HasPrefix(rest, "/") {
					c.Modules = append(c.Modules, m)
					break
				}
			}
		}
	}
	return &c
}
