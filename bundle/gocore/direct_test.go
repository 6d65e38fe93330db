package gocore

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-delve/delve/pkg/goversion"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/bundle/ingest"
	"github.com/coroner/coroner/internal/testcore"
)

// busySrc keeps goroutines running on threads (spinning in user code,
// hashing in assembly), one blocked in a system call, and parked ones.
const busySrc = `package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"sync"
	"time"
)

var sink [32]byte

//go:noinline
func spin(n int) int {
	for {
		n = n*31 + 7
		if n == 0 {
			return n
		}
	}
}

func hash() {
	for {
		sink = sha256.Sum256(sink[:])
	}
}

func main() {
	var mu sync.Mutex
	mu.Lock()
	for i := 0; i < 50; i++ {
		go func() { mu.Lock() }()
	}
	go spin(1)
	go hash()
	r, _, _ := os.Pipe()
	go func() {
		var b [1]byte
		r.Read(b[:])
	}()
	time.Sleep(300 * time.Millisecond)
	fmt.Println("ready")
	time.Sleep(time.Hour)
}
`

// TestDirectMatchesDelve: on a snapshot of a live process, the census
// without delve (frame pointers, threads' registers) lists the same
// goroutines with the same stacks as the census that uses delve for the
// running ones.
func TestDirectMatchesDelve(t *testing.T) {
	exe := testcore.BuildIn(t, tmpDir, busySrc)
	p := testcore.Start(t, exe, "ready", "GOMAXPROCS=4")
	core := p.Gcore(t)
	p.Quit(t)
	want, err := Census(context.Background(), core, exe, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := fileCensus(core, core, exe)
	if err != nil {
		t.Fatalf("direct census refused a snapshot: %v", err)
	}
	if got.Reader != directReader || got.Crash != nil {
		t.Errorf("reader %q, crash %+v", got.Reader, got.Crash)
	}
	running := 0
	for _, g := range matchByID(t, got, want, true) {
		running++
		if g.Thread == 0 {
			t.Errorf("running goroutine %d has no thread", g.ID)
		}
	}
	if running < 2 {
		t.Errorf("%d running goroutines; the program keeps two spinning", running)
	}
}

// ingestCore ingests a core and its executable into an archive and
// returns the archive's path.
func ingestCore(tb testing.TB, core, exe string) string {
	tb.Helper()
	in := tb.TempDir()
	for _, f := range []string{core, exe} {
		if err := os.Link(f, filepath.Join(in, filepath.Base(f))); err != nil {
			tb.Fatal(err)
		}
	}
	path := filepath.Join(tb.TempDir(), "incident.tar.zst")
	if _, err := ingest.Run(context.Background(), ingest.Options{Inputs: []string{in}, Output: path, Limits: ingest.DefaultLimits()}); err != nil {
		tb.Fatal(err)
	}
	return path
}

// snapshotArchive ingests a gcore snapshot of busySrc with its
// executable; it returns the archive, the census of the core file, the
// executable and the core's artifact.
func snapshotArchive(t *testing.T) (*bundle.Archive, *goroutines.Census, string, bundle.Artifact) {
	t.Helper()
	exe := testcore.BuildIn(t, tmpDir, busySrc)
	p := testcore.Start(t, exe, "ready", "GOMAXPROCS=4")
	core := p.Gcore(t)
	p.Quit(t)
	want, err := Census(context.Background(), core, exe, Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := ingestCore(t, core, exe)
	t.Setenv("CORONER_CACHE_DIR", t.TempDir())
	a, err := bundle.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	arts := a.Manifest().ArtifactsOf(bundle.KindCore)
	if len(arts) != 1 {
		t.Fatalf("archive holds %d cores", len(arts))
	}
	return a, want, exe, arts[0]
}

// sameCensus compares two censuses goroutine by goroutine.
func sameCensus(t *testing.T, got, want *goroutines.Census) {
	t.Helper()
	if len(got.Goroutines) != len(want.Goroutines) {
		t.Fatalf("census has %d goroutines, want %d", len(got.Goroutines), len(want.Goroutines))
	}
	for i, g := range got.Goroutines {
		w := want.Goroutines[i]
		if g.ID != w.ID || g.Status != w.Status || stackString(g.Frames) != stackString(w.Frames) {
			t.Errorf("goroutine %d: %s %s, want %d %s %s", g.ID, g.Status, stackString(g.Frames), w.ID, w.Status, stackString(w.Frames))
		}
	}
}

// TestArchiveCensusInPlace: a snapshot core inside an archive is read
// where it lies (nothing extracted) and gives the census of the file.
func TestArchiveCensusInPlace(t *testing.T) {
	a, want, exe, art := snapshotArchive(t)
	got, err := ArchiveCensus(context.Background(), a, art, exe, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Reader != directReader {
		t.Errorf("census read by %q, want %q", got.Reader, directReader)
	}
	sameCensus(t, got, want)
	filepath.WalkDir(os.Getenv("CORONER_CACHE_DIR"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if st, err := os.Stat(p); err == nil && st.Size() == art.Size {
			t.Errorf("the core was extracted to %s", p)
		}
		return nil
	})
}

// TestArchiveCensusScattered: a census whose in-place reads spend their
// budget finishes from an extracted copy, with the same result and a
// warning saying so.
func TestArchiveCensusScattered(t *testing.T) {
	a, want, exe, art := snapshotArchive(t)
	defer func(f func(int64) int64) { inPlaceLimit = f }(inPlaceLimit)
	inPlaceLimit = func(int64) int64 { return 1 }
	got, err := archiveCensus(a, art.Path, exe, nil)
	if err != nil {
		t.Fatal(err)
	}
	sameCensus(t, got, want)
	if got.Reader != directReader || !strings.Contains(strings.Join(got.Warnings, "\n"), "too scattered") {
		t.Errorf("reader %q, warnings %q", got.Reader, got.Warnings)
	}
}

// TestDirectRefusesSelfAbort: a core the kernel wrote for a SIGABRT the
// program sent itself, with no panic or fatal error to read, is refused by
// the reader without delve; the census of it in an archive falls back to
// delve and says so.
func TestDirectRefusesSelfAbort(t *testing.T) {
	testcore.CheckCoreDumps(t)
	exe := testcore.BuildIn(t, tmpDir, selfAbortSrc)
	core, _ := testcore.CrashIn(t, tmpDir, exe, "GOTRACEBACK=crash")
	if _, err := fileCensus(core, core, exe); err == nil || !strings.Contains(err.Error(), errNeedsDelve.Error()) {
		t.Fatalf("direct census of a self-aborted core: %v, want %v", err, errNeedsDelve)
	}
	t.Setenv("CORONER_CACHE_DIR", t.TempDir())
	a, err := bundle.Open(ingestCore(t, core, exe))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	c, err := ArchiveCensus(context.Background(), a, a.Manifest().ArtifactsOf(bundle.KindCore)[0], exe, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.Reader, "delve") || !strings.Contains(strings.Join(c.Warnings, "\n"), "refused this core") {
		t.Errorf("reader %q, warnings %q", c.Reader, c.Warnings)
	}
}

const selfAbortSrc = `package main

import "syscall"

func main() {
	syscall.Kill(syscall.Getpid(), syscall.SIGABRT)
	select {}
}
`

func TestReadInPlace(t *testing.T) {
	aborted := &bundle.Manifest{Capture: &bundle.Capture{Steps: []bundle.CaptureStep{{Name: "core", Status: "ok", Method: "abort"}}}}
	withDWARF := &bundle.Manifest{Artifacts: []bundle.Artifact{{Kind: bundle.KindGoBinary, Attrs: map[string]string{"dwarf": "true"}}}}
	stripped := &bundle.Manifest{Artifacts: []bundle.Artifact{{Kind: bundle.KindGoBinary, Attrs: map[string]string{"dwarf": "false"}}}}
	tabled := &bundle.Manifest{Artifacts: []bundle.Artifact{{Kind: bundle.KindGoBinary,
		Attrs: map[string]string{"dwarf": "false", "go_version": "go1.26.8", "goarch": "amd64"}}}}
	untabled := &bundle.Manifest{Artifacts: []bundle.Artifact{{Kind: bundle.KindGoBinary,
		Attrs: map[string]string{"dwarf": "false", "go_version": "go1.19.13", "goarch": "amd64"}}}}
	for _, c := range []struct {
		m    *bundle.Manifest
		sig  string
		want bool
	}{
		{&bundle.Manifest{}, "SIGSTOP", true},
		{&bundle.Manifest{}, "SIGTRAP", false},
		{&bundle.Manifest{}, "SIGABRT", false},
		{&bundle.Manifest{}, "SIGSEGV", false},
		{&bundle.Manifest{}, "SIGQUIT", false},
		{&bundle.Manifest{}, "", false},
		{&bundle.Manifest{}, "no such", false},
		{aborted, "SIGABRT", true},
		{aborted, "SIGSEGV", false},
		{withDWARF, "SIGSEGV", true},
		{withDWARF, "SIGABRT", true},
		{withDWARF, "", false},
		{stripped, "SIGSEGV", false},
		{stripped, "SIGSTOP", true},
		{tabled, "SIGSEGV", true},
		{untabled, "SIGSEGV", false},
	} {
		core := bundle.Artifact{Attrs: map[string]string{"signal": c.sig}}
		if got := ReadInPlace(c.m, core); got != c.want {
			t.Errorf("ReadInPlace(signal %q, capture aborted %v) = %v, want %v", c.sig, c.m.CoreAborted(), got, c.want)
		}
	}
}

// scatteredSrc parks goroutines whose stacks grew in a shuffled order, so
// that stack addresses bear no relation to the goroutines' order in
// runtime.allgs, as in a long-running program.
const scatteredSrc = `package main

import (
	"fmt"
	"math/rand"
	"time"
)

//go:noinline
func deep(n int, ch chan int) int {
	var pad [256]byte
	if n == 0 {
		<-ch
		return int(pad[0])
	}
	return deep(n-1, ch) + int(pad[n%256])
}

func main() {
	const n = 4000
	gates := make([]chan int, n)
	for i := range gates {
		gates[i] = make(chan int)
		go func(g chan int) {
			<-g // parked with a small stack until its turn
			deep(100, make(chan int))
		}(gates[i])
	}
	for _, i := range rand.Perm(n) {
		gates[i] <- 1 // grows this goroutine's stack now: copied to a new place
	}
	time.Sleep(300 * time.Millisecond)
	fmt.Println("ready")
	time.Sleep(time.Hour)
}
`

// TestInPlaceScatteredStacks: reading a core whose stacks are scattered
// over the heap decodes a small part of it, not a frame per goroutine.
func TestInPlaceScatteredStacks(t *testing.T) {
	exe := testcore.BuildIn(t, tmpDir, scatteredSrc)
	p := testcore.Start(t, exe, "ready")
	core := p.Gcore(t)
	p.Quit(t)
	path := ingestCore(t, core, exe)
	a, err := bundle.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	art := a.Manifest().ArtifactsOf(bundle.KindCore)[0]
	mr, err := a.OpenMember(art)
	if err != nil {
		t.Fatal(err)
	}
	defer mr.Close()
	c, err := directCensus(mr, mr.Size(), art.Path, exe, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Total() < 4000 {
		t.Fatalf("census of %d goroutines", c.Total())
	}
	// 4000 grown stacks of 64 KiB are 250 MiB at most; a frame decoded
	// per goroutine would be 16 GiB.
	t.Logf("decoded %d MiB of a %d MiB core for %d goroutines", mr.Decoded()>>20, mr.Size()>>20, c.Total())
	if mr.Decoded() > 1<<30 {
		t.Errorf("decoded %d MiB reading %d goroutines", mr.Decoded()>>20, c.Total())
	}
}

// spinSrc keeps every P busy with goroutines spinning in user code.
const spinSrc = `package main

import (
	"fmt"
	"time"
)

//go:noinline
func spin(n int) int {
	for {
		n = n*31 + 7
		if n == 0 {
			return n
		}
	}
}

func main() {
	for i := 0; i < 16; i++ {
		go spin(i + 1)
	}
	time.Sleep(300 * time.Millisecond)
	fmt.Println("ready")
	time.Sleep(time.Hour)
}
`

// TestSignalFrames: in a core the runtime wrote on SIGQUIT under
// GOTRACEBACK=crash, the threads running goroutines are inside signal
// handlers (the runtime signals each to print its stack); the goroutines'
// stacks are unwound from the registers the kernel saved in each signal
// frame, and agree with the runtime's own traceback of them.
func TestSignalFrames(t *testing.T) {
	testcore.CheckCoreDumps(t)
	exe := testcore.BuildIn(t, tmpDir, spinSrc)
	// Whether a spinning goroutine is still running when the runtime
	// stops the world to crash is a race; a few cores make one likely.
	for attempt := 1; attempt <= 4; attempt++ {
		if signalFramesOnce(t, exe) > 0 {
			return
		}
		t.Logf("core %d: no goroutine was running", attempt)
	}
	t.Error("no running goroutine unwound from its thread in 4 cores")
}

// signalFramesOnce crashes spinSrc on SIGQUIT and compares the running
// goroutines the census unwound with the runtime's traceback; it returns
// how many it compared.
func signalFramesOnce(t *testing.T, exe string) int {
	p := testcore.StartCoreDumping(t, exe, "ready", "GOTRACEBACK=crash", "GOMAXPROCS=4")
	dump := p.Quit(t)
	core := p.FindCore(t)
	defer os.Remove(core)
	want, err := goroutines.ParseDump(bytes.NewReader(dump), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]goroutines.Goroutine{}
	for _, g := range want.Goroutines {
		byID[g.ID] = g
	}
	f, size, err := bundle.OpenSized(core)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gover, _ := goversion.Parse("go1.26")
	got, err := fastCensusAt(f, size, exe, gover, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	paired := 0
	for _, g := range got.census.Goroutines {
		if g.Status != "running" || got.running[g.ID] {
			continue
		}
		w, ok := byID[g.ID]
		if !ok {
			t.Errorf("goroutine %d not in the runtime's dump", g.ID)
			continue
		}
		if len(w.Frames) == 0 {
			// The runtime printed no stack for it (a thread it could not
			// stop in time, or one on its system stack): nothing to
			// compare with.
			continue
		}
		paired++
		if gs, ws := funcs(g.Frames), funcs(w.Frames); gs != ws {
			t.Errorf("goroutine %d:\n frame pointers %s\n runtime        %s", g.ID, gs, ws)
		}
	}
	t.Logf("%d running goroutines unwound, %d left to delve", paired, len(got.running))
	return paired
}

func funcs(fs []goroutines.Frame) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.Func + " ")
	}
	return b.String()
}

// TestDirectRequestedQuit: a core the runtime wrote under
// GOTRACEBACK=crash on a SIGQUIT sent from outside is read without delve,
// and both readers say it was requested, with the parked goroutines
// delve lists.
func TestDirectRequestedQuit(t *testing.T) {
	testcore.CheckCoreDumps(t)
	exe := testcore.BuildIn(t, tmpDir, busySrc)
	p := testcore.StartCoreDumping(t, exe, "ready", "GOTRACEBACK=crash", "GOMAXPROCS=4")
	p.Quit(t) // under GOTRACEBACK=crash the runtime dumps core with SIGABRT
	core := p.FindCore(t)
	want, err := Census(context.Background(), core, exe, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := fileCensus(core, core, exe)
	if err != nil {
		t.Fatalf("a requested core: %v", err)
	}
	for name, c := range map[string]*goroutines.Census{"direct": got, "delve": want} {
		if c.Crash != nil || c.Requested == nil || c.Requested.Signal != "SIGQUIT" || c.Requested.Code != "SI_USER (0)" {
			t.Errorf("%s: crash %+v, requested %+v", name, c.Crash, c.Requested)
		}
	}
	// delve starts a running goroutine's stack in the signal handler;
	// TestSignalFrames checks these.
	matchByID(t, got, want, false)
}

// matchByID checks that a census without delve lists delve's goroutines,
// each with the same status and stack (running goroutines' stacks only
// with running set); it returns its running goroutines.
func matchByID(t *testing.T, got, want *goroutines.Census, running bool) []goroutines.Goroutine {
	t.Helper()
	byID := map[int64]goroutines.Goroutine{}
	for _, g := range want.Goroutines {
		byID[g.ID] = g
	}
	if len(got.Goroutines) != len(want.Goroutines) {
		t.Errorf("direct census has %d goroutines, delve's %d", len(got.Goroutines), len(want.Goroutines))
	}
	var out []goroutines.Goroutine
	for _, g := range got.Goroutines {
		w, ok := byID[g.ID]
		switch {
		case !ok:
			t.Errorf("goroutine %d not in delve's census", g.ID)
			continue
		case g.Status == "running":
			out = append(out, g)
			if !running {
				continue
			}
		}
		if gs, ws := stackString(g.Frames), stackString(w.Frames); gs != ws || g.Status != w.Status {
			t.Errorf("goroutine %d:\n direct %s %s\n delve  %s %s", g.ID, g.Status, gs, w.Status, ws)
		}
	}
	return out
}

// BenchmarkArchiveCensus compares the census of a 10k-goroutine snapshot
// read where it lies in an archive with extracting the core first (what
// the census did before), each from a cold cache.
func BenchmarkArchiveCensus(b *testing.B) {
	const n = 10000
	exe := testcore.BuildIn(b, tmpDir, fmt.Sprintf(manySrc, n))
	p := testcore.Start(b, exe, "ready")
	core := p.Gcore(b)
	path := ingestCore(b, core, exe)
	for _, mode := range []string{"in-place", "extracted"} {
		b.Run(mode, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if c := coldCensus(b, path, exe, mode == "in-place"); c.Total() < n {
					b.Fatalf("census of %d goroutines", c.Total())
				}
			}
		})
	}
}

// coldCensus takes the census of the archive's core from an empty cache:
// where it lies in the archive (inPlace), or from the core extracted into
// the cache first. Only the census is timed.
func coldCensus(b *testing.B, path, exe string, inPlace bool) *goroutines.Census {
	b.Helper()
	b.StopTimer()
	b.Setenv("CORONER_CACHE_DIR", b.TempDir())
	b.StartTimer()
	a, err := bundle.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	core := a.Manifest().ArtifactsOf(bundle.KindCore)[0]
	var c *goroutines.Census
	if inPlace {
		c, err = ArchiveCensus(context.Background(), a, core, exe, Options{})
	} else {
		var corePath string
		if corePath, err = a.Path(core); err == nil {
			c, err = Census(context.Background(), corePath, exe, Options{})
		}
	}
	if err != nil {
		b.Fatal(err)
	}
	return c
}

const crashSrcForDirect = `package main

func main() {
	var m map[string]int
	m["x"] = 1
}
`
