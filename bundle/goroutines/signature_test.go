package goroutines

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coroner/coroner/internal/testcore"
)

var update = flag.Bool("update", false, "rewrite testdata fuzz seeds from dumps made now")

// nilMapSrc crashes in a worker goroutine on a nil map write. EXTRA is
// replaced to make a second, different build of the same bug.
const nilMapSrc = `package main

import "time"

var version = "dev"

EXTRA

type store struct{ m map[string]int }

func (s *store) put(k string) { s.m[k]++ }

func main() {
	for i := 0; i < 3; i++ {
		go func() { time.Sleep(time.Hour) }()
	}
	s := &store{}
	go func() { s.put("k" + version) }()
	time.Sleep(time.Hour)
}
`

// nilDerefSrc crashes with a nil pointer dereference instead.
const nilDerefSrc = `package main

import "time"

type conn struct{ n int }

func read(c *conn) int { return c.n }

func main() {
	go func() { println(read(nil)) }()
	time.Sleep(time.Hour)
}
`

// crashOutput builds src with flags and returns the runtime's crash output
// under GOTRACEBACK=all.
func crashOutput(t *testing.T, src string, flags ...string) []byte {
	t.Helper()
	exe := testcore.BuildIn(t, tmpDir, src, flags...)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), "GOTRACEBACK=all")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatal("program did not crash")
	}
	return stderr.Bytes()
}

func crashSignature(t *testing.T, out []byte) (short, key string, c *Census) {
	t.Helper()
	c, err := ParseDump(bytes.NewReader(out), "crash")
	if err != nil {
		t.Fatal(err)
	}
	if c.Crash == nil {
		t.Fatalf("no crash recognized in:\n%s", out)
	}
	for _, g := range c.Goroutines {
		if g.Crashed {
			short, key = Signature(c.Crash, g.Frames)
			return short, key, c
		}
	}
	t.Fatalf("no crashed goroutine in:\n%s", out)
	return "", "", nil
}

func TestSignatureStableAcrossBuilds(t *testing.T) {
	a := crashOutput(t, strings.Replace(nilMapSrc, "EXTRA", "", 1))
	b := crashOutput(t, strings.Replace(nilMapSrc, "EXTRA", "func unrelated() int { return 42 }\n\nvar _ = func() int { return unrelated() }", 1),
		"-ldflags=-X main.version=2.0")
	sa, ka, ca := crashSignature(t, a)
	sb, kb, _ := crashSignature(t, b)
	if ka != kb {
		t.Errorf("same bug, different signatures:\n%s %s\n%s %s", sa, ka, sb, kb)
	}
	if ca.Crash.Message != "assignment to entry in nil map" {
		t.Errorf("message %q", ca.Crash.Message)
	}
	if ca.Crash.Site == nil || ca.Crash.Site.Func != "main.(*store).put" {
		t.Errorf("crash site %+v", ca.Crash.Site)
	}
	if !strings.Contains(sa, "main.(*store).put < main.main.func·") {
		t.Errorf("short signature %q", sa)
	}
	d := crashOutput(t, nilDerefSrc)
	sd, kd, cd := crashSignature(t, d)
	if kd == ka {
		t.Errorf("different bugs share signature %s: %s / %s", kd, sa, sd)
	}
	if cd.Crash.Signal != "SIGSEGV" || cd.Crash.Site == nil || cd.Crash.Site.Func != "main.read" {
		t.Errorf("nil deref crash %+v site %+v", cd.Crash, cd.Crash.Site)
	}
	if *update {
		writeSeed(t, "crash-nilmap.txt", a)
		writeSeed(t, "crash-nilderef.txt", d)
		dd := realDumps(t)
		writeSeed(t, "sigquit.txt", dd.files["sigquit"])
		writeSeed(t, "debug1.txt", dd.files["debug1"])
		writeSeed(t, "debug2.txt", dd.files["debug2"])
	}
}

// writeSeed stores a dump as a fuzz seed, with the temporary build
// directory replaced by a fixed one so the file does not depend on where
// it was made.
func writeSeed(t *testing.T, name string, b []byte) {
	b = bytes.ReplaceAll(b, []byte(tmpDir), []byte("/src"))
	if err := os.WriteFile(filepath.Join("testdata", name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestNormalizeFunc(t *testing.T) {
	for in, want := range map[string]string{
		"main.main.func2":                   "main.main.func·",
		"main.main.func2.1":                 "main.main.func·",
		"main.main.gowrap3":                 "main.main.gowrap·",
		"example.com/x.Map[go.shape.int]":   "example.com/x.Map[...]",
		"example.com/x.(*T[...]).M.func1":   "example.com/x.(*T[...]).M.func·",
		"example.com/x.F[map[string]int].f": "example.com/x.F[...].f",
	} {
		if got := NormalizeFunc(in); got != want {
			t.Errorf("NormalizeFunc(%q) = %q, want %q", in, got, want)
		}
	}
	for fn, want := range map[string]bool{
		"runtime.gopanic": true, "panic": true, "internal/runtime/maps.fatal": true,
		"runtime/pprof.Do": false, "main.main": false, "sync.(*Mutex).Lock": false,
	} {
		if IsRuntimeFunc(fn) != want {
			t.Errorf("IsRuntimeFunc(%q) = %v", fn, !want)
		}
	}
}

func TestSingleTracebackIsIncomplete(t *testing.T) {
	exe := testcore.BuildIn(t, tmpDir, nilDerefSrc)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), "GOTRACEBACK=single")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if cmd.Run() == nil {
		t.Fatal("program did not crash")
	}
	c, err := ParseDump(&stderr, "crash")
	if err != nil {
		t.Fatal(err)
	}
	if c.Complete || len(c.Warnings) == 0 || !strings.Contains(c.Warnings[0], "GOTRACEBACK") {
		t.Errorf("single traceback: complete=%v warnings=%v", c.Complete, c.Warnings)
	}
	if c.Crash == nil || c.Crash.Site == nil || c.Crash.Site.Func != "main.read" {
		t.Errorf("crash %+v", c.Crash)
	}
}
