package export

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/gcstw"
	"github.com/coroner/coroner/bundle/gctrace"
)

// hostileNames are function names that try to break each export: the
// folded format's separators, line breaks, CSV quoting and formulas,
// terminal escapes and bidirectional overrides.
var hostileNames = []string{
	"main.a;b;c",
	"main.line\nbreak 99",
	"\x1b[31mred\x1b]0;title\x07",
	"evil\u202egnp.exe",
	"main.cr\rreturn",
	"=HYPERLINK(\"http://evil.example\",\"x\")",
	"main.\"quoted\",comma",
	"",
	" spaced 12",
	"+1-2", "-x", "@SUM(A1)",
}

// foldedAs is how each hostile name shows as a folded frame: ";" becomes
// ":", control and invisible characters their escapes, no name
// "[unknown]".
var foldedAs = map[string]string{
	"main.a;b;c":                                "main.a:b:c",
	"main.line\nbreak 99":                       `main.line\nbreak 99`,
	"\x1b[31mred\x1b]0;title\x07":               `\x1b[31mred\x1b]0:title\x07`,
	"evil\u202egnp.exe":                         `evil\u202egnp.exe`,
	"main.cr\rreturn":                           `main.cr\rreturn`,
	"=HYPERLINK(\"http://evil.example\",\"x\")": `=HYPERLINK("http://evil.example","x")`,
	"main.\"quoted\",comma":                     `main."quoted",comma`,
	"":                                          "[unknown]",
	" spaced 12":                                " spaced 12",
	"+1-2":                                      "+1-2",
	"-x":                                        "-x",
	"@SUM(A1)":                                  "@SUM(A1)",
}

// burn keeps a CPU busy long enough for the profiler to take samples.
func burn(d time.Duration) uint64 {
	var x uint64 = 1
	for end := time.Now().Add(d); time.Now().Before(end); {
		for i := 0; i < 1e5; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	return x
}

// hostileCPUProfile records a real CPU profile of this test and renames the
// functions on its stacks to hostile names, so the exports meet them as a
// service's symbols would reach them. It returns the names given.
func hostileCPUProfile(t *testing.T, dir string) []string {
	t.Helper()
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		t.Skipf("cannot profile: %v", err)
	}
	burn(500 * time.Millisecond)
	pprof.StopCPUProfile()
	p, err := profile.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Sample) == 0 {
		t.Skip("the CPU profile took no samples")
	}
	renamed := map[*profile.Function]bool{}
	var given []string
	for _, smp := range p.Sample {
		for _, loc := range smp.Location {
			for _, ln := range loc.Line {
				if f := ln.Function; f != nil && !renamed[f] {
					renamed[f] = true
					f.Name = hostileNames[len(given)%len(hostileNames)]
					f.SystemName = f.Name
					given = append(given, f.Name)
				}
			}
		}
	}
	out, err := os.Create(filepath.Join(dir, "cpu.pprof"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := p.Write(out); err != nil {
		t.Fatal(err)
	}
	return given
}

// TestHostileFunctionNames exports a profile whose functions have hostile
// names: every folded line must still be one stack of frames and a count,
// the totals must hold, and no name may carry a separator, a line break or
// a control character into any export.
func TestHostileFunctionNames(t *testing.T) {
	in := t.TempDir()
	given := hostileCPUProfile(t, in)
	t.Logf("%d functions on the sampled stacks renamed", len(given))
	inputs := analyzeFor(t, in)
	if inputs.CPU == nil || inputs.CPU.Total == 0 {
		t.Fatal("the profile was not merged")
	}
	dir := t.TempDir()
	if _, _, err := Write(dir, inputs); err != nil {
		t.Fatal(err)
	}
	total := inputs.CPU.Total
	checkPprof(t, filepath.Join(dir, PprofFile), total)
	checkSpeedscope(t, filepath.Join(dir, SpeedscopeFile), total)
	seen := map[string]bool{}
	for _, st := range checkFolded(t, filepath.Join(dir, FoldedFile), total) {
		for _, fr := range strings.Split(st, ";") {
			seen[fr] = true
		}
	}
	for _, name := range given {
		if !seen[foldedAs[name]] {
			t.Errorf("folded stacks lack the frame %q for the function %q", foldedAs[name], name)
		}
	}
	for _, name := range []string{PprofFile, FoldedFile, SpeedscopeFile} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if name == PprofFile {
			continue // compressed; its names are checked through pprof below
		}
		for _, bad := range []string{"\x1b", "\x07", "\r", "\u202e"} {
			if bytes.Contains(data, []byte(bad)) {
				t.Errorf("%s holds a raw %q", name, bad)
			}
		}
	}
	f, err := os.Open(filepath.Join(dir, PprofFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range p.Function {
		if strings.ContainsAny(fn.Name, "\x1b\x07\r\n\u202e") {
			t.Errorf("pprof function name %q holds a raw control character", fn.Name)
		}
	}
}

// TestHostileGCPausesCSV writes a pause timeline whose sources and kinds
// are hostile: the CSV must read back strictly, with every value as
// written, escaped, and no cell starting a formula.
func TestHostileGCPausesCSV(t *testing.T) {
	g := &gcstw.Result{}
	for i, n := range hostileNames {
		g.Pauses = append(g.Pauses, analyze.Pause{At: time.Duration(i) * time.Millisecond, Duration: time.Duration(i+1) * time.Microsecond, Kind: n, Source: "trace " + n})
		g.Cycles = append(g.Cycles, gcstw.Cycle{Source: n, Cycle: gctrace.Cycle{N: i + 1, At: time.Duration(i) * time.Second,
			SweepTerm: time.Microsecond, Mark: time.Millisecond, MarkTerm: 2 * time.Microsecond, HeapStart: 4, HeapEnd: 5, HeapLive: 1, HeapGoal: 8}})
	}
	path := filepath.Join(t.TempDir(), GCPausesFile)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := GCPausesCSV(f, g); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, path)
	if want := 2*len(g.Cycles) + len(g.Pauses); len(rows) != want {
		t.Fatalf("%d rows, want %d", len(rows), want)
	}
	kinds := map[string]bool{}
	for _, r := range rows {
		for _, cell := range r {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("cell %q starts a formula", cell)
			}
			if strings.ContainsAny(cell, "\x1b\x07\r\n\u202e") {
				t.Errorf("cell %q holds a raw control character", cell)
			}
		}
		kinds[r[3]] = true
	}
	for _, want := range []string{`main.a;b;c`, `main."quoted",comma`, `'=HYPERLINK("http://evil.example","x")`, `main.line\nbreak 99`} {
		if !kinds[want] {
			t.Errorf("no row of kind %q: %v", want, kinds)
		}
	}
}

// FuzzFoldedFrame demands that no name can split a folded frame or line.
func FuzzFoldedFrame(f *testing.F) {
	for _, n := range hostileNames {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, name string) {
		fr := foldedFrame(name)
		if fr == "" || strings.ContainsAny(fr, ";\n\r") {
			t.Errorf("foldedFrame(%q) = %q", name, fr)
		}
	})
}
