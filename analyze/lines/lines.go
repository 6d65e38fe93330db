// Package lines charges the archive's samples to source lines, as
// `go tool pprof -list` does: CPU time from the merged perf and pprof CPU
// profile, allocated bytes from the allocs or heap profile, and mutex and
// block delay from the contention profiles. It keeps the lines of the
// files the findings blame and the hottest lines of user code, with the
// executable's build information, for the source listings a report shows
// when it is given source trees (reports/source).
package lines

import (
	"debug/buildinfo"
	"fmt"
	"reflect"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/analyze/internal/pprofs"
	"github.com/coroner/coroner/analyze/internal/stacks"
	"github.com/coroner/coroner/bundle"
)

// Analyzer is the lines analyzer.
var Analyzer = &analyze.Analyzer{
	Name: "lines",
	Doc: "samples per source line, for source listings\n\n" +
		"Charges CPU time (perf and pprof merged), allocated bytes and mutex and block delay to the " +
		"lines on each sample's stack, flat and cumulative as pprof -list does, for the files the " +
		"findings blame and the hottest lines of user code; records the executable's module path, " +
		"version, dependencies and VCS revision to find those files in source trees.",
	Version:    "1",
	Requires:   []*analyze.Analyzer{cpu.Analyzer, pprofs.Analyzer},
	Inputs:     []analyze.Input{analyze.Seeked(bundle.KindGoBinary)},
	ResultType: reflect.TypeFor[*Table](),
	Run:        run,
}

// kinds lists the sample kinds in the order reports show them.
var kinds = []struct{ name, unit string }{
	{analyze.SampleCPU, "ns"},
	{analyze.SampleAlloc, "bytes"},
	{analyze.SampleMutex, "ns"},
	{analyze.SampleBlock, "ns"},
}

func run(pass *analyze.Pass) (any, error) {
	t := newTable()
	prof := cpu.ProfileOf(pass)
	if prof == nil {
		return nil, fmt.Errorf("no CPU profile from the cpu analyzer")
	}
	for _, s := range prof.Samples {
		t.add(0, s.Stack, s.Value)
	}
	t.kinds[0].Sources = append(t.kinds[0].Sources, prof.Sources...)
	loaded := pprofs.Of(pass)
	t.addProfile(pass, 1, loaded.OfType(pprofs.Allocs), "alloc_space")
	t.addProfile(pass, 2, loaded.OfType(pprofs.Mutex), "delay")
	t.addProfile(pass, 3, loaded.OfType(pprofs.Block), "delay")
	t.build = readBuild(pass)
	return t, nil
}

// addProfile charges the heaviest of ls (by its total of sample type typ)
// to kind k. Allocation and contention profiles count from the process's
// start, so two of the same kind (heap and allocs, or two snapshots) hold
// the same events: the later, larger one is used alone.
func (t *Table) addProfile(pass *analyze.Pass, k int, ls []pprofs.Loaded, typ string) {
	best, bestTotal, bestIdx := -1, int64(0), -1
	for i, l := range ls {
		idx := pprofs.SampleIndex(l.Profile, typ)
		if idx < 0 {
			continue
		}
		var total int64
		for _, s := range l.Profile.Sample {
			if idx < len(s.Value) && s.Value[idx] > 0 {
				total += s.Value[idx]
			}
		}
		if best < 0 || total > bestTotal {
			best, bestTotal, bestIdx = i, total, idx
		}
	}
	if best < 0 || bestTotal == 0 {
		return
	}
	l := ls[best]
	for _, s := range l.Profile.Sample {
		if bestIdx < len(s.Value) && s.Value[bestIdx] > 0 {
			t.add(k, pprofs.Stack(s), s.Value[bestIdx])
		}
	}
	t.kinds[k].Sources = append(t.kinds[k].Sources, l.Artifact.Path)
	pass.Used(l.Artifact.Path)
}

// readBuild reads the build information of the archive's first Go
// executable; nil when there is none or it cannot be read (a warning).
func readBuild(pass *analyze.Pass) *analyze.BuildInfo {
	a, ok := pass.Artifact(bundle.KindGoBinary)
	if !ok {
		return nil
	}
	path, err := pass.Path(a)
	if err != nil {
		pass.Warn(fmt.Sprintf("%s: %v", a.Path, err))
		return nil
	}
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		pass.Warn(fmt.Sprintf("%s: reading build information: %v", a.Path, err))
		return nil
	}
	pass.Used(a.Path)
	b := &analyze.BuildInfo{GoVersion: bi.GoVersion, MainPath: bi.Main.Path, MainVersion: bi.Main.Version, Artifact: a.Path}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.VCSRevision = s.Value
		case "vcs.modified":
			b.VCSModified = s.Value == "true"
		}
	}
	for _, d := range bi.Deps {
		m := analyze.Module{Path: d.Path, Version: d.Version}
		if d.Replace != nil {
			m.Replace = &analyze.Module{Path: d.Replace.Path, Version: d.Replace.Version}
		}
		b.Modules = append(b.Modules, m)
	}
	return b
}

// isUser is the frame test hot lines use: application code with a file
// and line to list.
func isUser(f stacks.Frame) bool { return f.File != "" && f.Line > 0 && stacks.IsUser(f) }
