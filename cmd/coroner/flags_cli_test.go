package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/coroner/coroner/internal/index"
)

// eachCommand calls fn for every command and subcommand of the CLI, with
// its path ("cache ls").
func eachCommand(fn func(path string, c *cli.Command)) {
	var walk func(prefix string, cs []*cli.Command)
	walk = func(prefix string, cs []*cli.Command) {
		for _, c := range cs {
			fn(prefix+c.Name, c)
			walk(prefix+c.Name+" ", c.Subcommands)
		}
	}
	walk("", newApp().Commands)
}

// TestOutputFlagIsOneSpelling: wherever a command takes -o, it is the short
// form of --output, and no visible flag keeps an older name for it.
func TestOutputFlagIsOneSpelling(t *testing.T) {
	formerly := map[string]bool{"out": true, "directory": true, "C": true}
	writers := map[string]bool{"analyze": false, "batch": false, "collect": false, "extract": false, "ingest": false, "perf": false, "report": false}
	eachCommand(func(path string, c *cli.Command) {
		for _, f := range c.Flags {
			names := f.Names()
			hidden := false
			if sf, ok := f.(*cli.StringFlag); ok {
				hidden = sf.Hidden
			}
			for _, n := range names[1:] {
				if n == "o" && names[0] != "output" {
					t.Errorf("%s: -o is the short form of --%s, not --output", path, names[0])
				}
			}
			if formerly[names[0]] && !hidden {
				t.Errorf("%s: --%s is visible; it is a former name of --output", path, names[0])
			}
			if names[0] == "output" {
				if _, ok := writers[path]; !ok {
					t.Errorf("%s takes --output but is not in this test's list of commands that write", path)
				}
				writers[path] = true
			}
		}
	})
	for path, ok := range writers {
		if !ok {
			t.Errorf("%s writes files but has no -o/--output", path)
		}
	}
}

// TestJSONOnTableCommands: every command that prints a table can print it
// as JSON instead.
func TestJSONOnTableCommands(t *testing.T) {
	want := map[string]bool{"batch": false, "cache ls": false, "crash": false, "diff": false, "goroutines": false,
		"index": false, "ls": false, "perf": false, "search": false, "verify": false}
	eachCommand(func(path string, c *cli.Command) {
		for _, f := range c.Flags {
			if _, ok := want[path]; ok && f.Names()[0] == "json" {
				want[path] = true
			}
		}
	})
	for path, ok := range want {
		if !ok {
			t.Errorf("%s prints a table but has no --json", path)
		}
	}
}

// TestFormerOutputNames: scripts written with perf --export, extract -C or
// --directory and batch --out keep working; a former name and --output
// with different values is a usage error.
func TestFormerOutputNames(t *testing.T) {
	fixture := filepath.Join("..", "..", "bundle", "perfdata", "testdata", "fp.data")
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.pb.gz"), filepath.Join(dir, "b.pb.gz")
	if _, code := runPerfCmd(t, "-o", a, fixture); code != exitOK {
		t.Fatalf("perf -o: exit %d", code)
	}
	if _, code := runPerfCmd(t, fixture, "--export", b); code != exitOK {
		t.Fatalf("perf --export: exit %d", code)
	}
	ba, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if len(ba) == 0 || !bytes.Equal(ba, bb) {
		t.Errorf("perf -o and --export wrote %d and %d bytes, want the same profile", len(ba), len(bb))
	}
	if _, code := runPerfCmd(t, "-o", a, "--export", b, fixture); code != exitUsage {
		t.Errorf("perf -o A --export B: exit %d, want %d", code, exitUsage)
	}

	archive := ingestDump(t)
	for _, args := range [][]string{{"-o"}, {"--output"}, {"-C"}, {"--directory"}} {
		dest := t.TempDir()
		if out, code := runApp(t, "extract", archive, args[0], dest, "goroutines.txt"); code != exitOK {
			t.Errorf("extract %s: exit %d: %s", args[0], code, out)
			continue
		}
		if _, err := os.Stat(filepath.Join(dest, "artifacts", "goroutine-dump", "goroutines.txt")); err != nil {
			t.Errorf("extract %s: %v", args[0], err)
		}
	}
	if _, code := runApp(t, "extract", "-o", t.TempDir(), "-C", t.TempDir(), archive); code != exitUsage {
		t.Errorf("extract -o A -C B: exit %d, want %d", code, exitUsage)
	}
	if _, code := runApp(t, "batch", "-o", t.TempDir(), "--out", t.TempDir(), archive); code != exitUsage {
		t.Errorf("batch -o A --out B: exit %d, want %d", code, exitUsage)
	}
}

// ingestDump archives a goroutine dump of this process and returns the
// archive's path.
func ingestDump(t *testing.T) string {
	t.Helper()
	in := t.TempDir()
	buf := make([]byte, 1<<20)
	if err := os.WriteFile(filepath.Join(in, "goroutines.txt"), buf[:runtime.Stack(buf, true)], 0o644); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "inc.tar.zst")
	if out, code := runApp(t, "ingest", "-q", "-o", archive, in); code != exitOK {
		t.Fatalf("ingest: exit %d: %s", code, out)
	}
	return archive
}

func TestVerifyJSON(t *testing.T) {
	archive := ingestDump(t)
	b, _ := os.ReadFile(archive)
	cut := filepath.Join(t.TempDir(), "cut.tar.zst")
	if err := os.WriteFile(cut, b[:len(b)-100], 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := runApp(t, "verify", "--json", archive, cut)
	if code != exitInput {
		t.Errorf("verify of a whole and a cut archive: exit %d, want %d", code, exitInput)
	}
	var got []verifyResult
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("verify --json: %v\n%s", err, out)
	}
	if len(got) != 2 || got[0] != (verifyResult{Archive: archive, OK: true}) || got[1].Archive != cut || got[1].OK || got[1].Error == "" {
		t.Errorf("verify --json: %+v", got)
	}
}

func TestPerfJSON(t *testing.T) {
	fixture := filepath.Join("..", "..", "bundle", "perfdata", "testdata", "multi.data")
	text, code := runPerfCmd(t, fixture)
	if code != exitOK {
		t.Fatalf("perf: exit %d", code)
	}
	out, code := runPerfCmd(t, "--json", fixture)
	var p perfJSON
	if err := json.Unmarshal([]byte(out), &p); err != nil || code != exitOK {
		t.Fatalf("perf --json: exit %d, %v\n%s", code, err, out)
	}
	if p.Samples != 7 || len(p.Processes) < 2 || len(p.Top) == 0 || p.Target != nil {
		t.Errorf("perf --json: %+v", p)
	}
	for _, top := range p.Top {
		if !strings.Contains(text, top.Symbol) {
			t.Errorf("JSON top symbol %q is not in the text output:\n%s", top.Symbol, text)
		}
	}
	out, code = runPerfCmd(t, "--json", "--comm", "busy", fixture)
	p = perfJSON{}
	if err := json.Unmarshal([]byte(out), &p); err != nil || code != exitOK {
		t.Fatalf("perf --json --comm busy: exit %d, %v\n%s", code, err, out)
	}
	var sum int64
	for _, top := range p.Top {
		sum += top.Samples
	}
	if p.Target == nil || p.Target.Comm != "busy" || sum != 3 {
		t.Errorf("perf --json --comm busy: target %+v, top samples %d, want busy's 3", p.Target, sum)
	}
	if _, code := runPerfCmd(t, "--json", "--dump", fixture); code != exitUsage {
		t.Errorf("--json --dump: exit %d, want %d", code, exitUsage)
	}
}

func TestIndexJSON(t *testing.T) {
	res := filepath.Join("..", "..", "reports", "testdata", "cases", "lockwait", "result.json")
	db := filepath.Join(t.TempDir(), index.FileName)
	out, code := runApp(t, "index", "--index", db, "--json", res)
	var runs []index.Run
	if err := json.Unmarshal([]byte(out), &runs); err != nil || code != exitOK {
		t.Fatalf("index --json: exit %d, %v\n%s", code, err, out)
	}
	if len(runs) != 1 || runs[0].Signature == "" || runs[0].ArchiveDigest == "" {
		t.Errorf("index --json: %+v", runs)
	}
}
