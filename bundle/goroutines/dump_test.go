package goroutines

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/coroner/coroner/internal/testcore"
)

// statesSrc parks goroutines in several states, writes its own goroutine
// profiles (binary, debug=1, debug=2) into the working directory, and
// then waits for SIGQUIT.
const statesSrc = `package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"sync"
	"time"
)

func main() {
	var mu sync.Mutex
	mu.Lock()
	ch := make(chan int)
	for i := 0; i < 30; i++ {
		go func() { mu.Lock() }()
	}
	for i := 0; i < 20; i++ {
		go pprof.Do(context.Background(), pprof.Labels("worker", "rx"), func(context.Context) { <-ch })
	}
	for i := 0; i < 10; i++ {
		go func() { select {} }()
	}
	time.Sleep(200 * time.Millisecond)
	for _, d := range []int{0, 1, 2} {
		f, _ := os.Create(fmt.Sprintf("goroutine.debug%d", d))
		pprof.Lookup("goroutine").WriteTo(f, d)
		f.Close()
	}
	fmt.Println("ready")
	time.Sleep(time.Hour)
}
`

type dumps struct {
	files map[string][]byte // debug0, debug1, debug2, sigquit
}

var (
	dumpsOnce sync.Once
	dumpsVal  *dumps
)

// realDumps runs statesSrc and collects its four dumps.
func realDumps(t *testing.T) *dumps {
	t.Helper()
	dumpsOnce.Do(func() {
		exe := testcore.BuildIn(t, tmpDir, statesSrc)
		p := testcore.Start(t, exe, "ready")
		d := &dumps{files: map[string][]byte{}}
		for i := 0; i < 3; i++ {
			b, err := os.ReadFile(filepath.Join(p.Cmd.Dir, fmt.Sprintf("goroutine.debug%d", i)))
			if err != nil {
				t.Fatal(err)
			}
			d.files[fmt.Sprintf("debug%d", i)] = b
		}
		d.files["sigquit"] = p.Quit(t)
		dumpsVal = d
	})
	if dumpsVal == nil {
		t.Fatal("dumps unavailable")
	}
	return dumpsVal
}

var tmpDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "goroutines-test")
	if err != nil {
		panic(err)
	}
	tmpDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestAllFormatsAgree parses the four dumps of one process and checks that
// they count the same user goroutines, and the same states where they
// carry states.
func TestAllFormatsAgree(t *testing.T) {
	d := realDumps(t)
	want := map[string]string{"debug0": "pprof", "debug1": "debug1", "debug2": "debug2", "sigquit": "sigquit"}
	users := map[string]int{}
	for name, format := range want {
		c, err := ParseDump(bytes.NewReader(d.files[name]), name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.Format != format {
			t.Errorf("%s: format %q, want %q", name, c.Format, format)
		}
		if !c.Complete {
			t.Errorf("%s: incomplete: %v", name, c.Warnings)
		}
		s := Summarize(c)
		users[name] = s.User
		if format == "debug2" || format == "sigquit" {
			if s.Wait["sync.Mutex.Lock"] != 30 || s.Wait["chan receive"] != 20 || s.Wait["select (no cases)"] != 10 {
				t.Errorf("%s: wait reasons %v", name, s.Wait)
			}
		}
		if format == "sigquit" && s.System == 0 {
			t.Errorf("sigquit: no system goroutines recognized")
		}
		if format == "debug1" || format == "pprof" {
			labeled := 0
			for _, g := range c.Goroutines {
				if g.Labels["worker"] == "rx" {
					labeled += g.Count
				}
			}
			if labeled != 20 {
				t.Errorf("%s: %d goroutines labeled worker=rx, want 20", name, labeled)
			}
		}
	}
	// 30 + 20 + 10 parked, plus main.
	for name, n := range users {
		if n != 61 {
			t.Errorf("%s: %d user goroutines, want 61 (all formats: %v)", name, n, users)
		}
	}
}

func TestGroup(t *testing.T) {
	d := realDumps(t)
	c, err := ParseDump(bytes.NewReader(d.files["sigquit"]), "sigquit")
	if err != nil {
		t.Fatal(err)
	}
	gs := Group(c)
	if len(gs) < 4 || gs[0].Count != 30 || gs[0].WaitReason != "sync.Mutex.Lock" {
		t.Fatalf("largest group %+v", gs[0])
	}
	if gs[1].Count != 20 || gs[2].Count != 10 {
		t.Errorf("groups %d, %d; want 20, 10", gs[1].Count, gs[2].Count)
	}
	if len(gs[0].IDs) != maxGroupIDs {
		t.Errorf("group keeps %d IDs, want %d", len(gs[0].IDs), maxGroupIDs)
	}
	// Deterministic: the same input gives the same groups.
	again := Group(c)
	for i := range gs {
		if gs[i].Key != again[i].Key {
			t.Fatal("grouping is not deterministic")
		}
	}
}

// TestCutDebug2 cuts a real debug=2 dump in the middle of a frame, as
// runtime/pprof does at 64 MiB.
func TestCutDebug2(t *testing.T) {
	d := realDumps(t)
	full := d.files["debug2"]
	cut := full[:len(full)*2/3]
	if cut[len(cut)-1] == '\n' {
		cut = cut[:len(cut)-1]
	}
	c, err := ParseDump(bytes.NewReader(cut), "goroutine.debug2")
	if err != nil {
		t.Fatal(err)
	}
	if c.Complete {
		t.Fatal("cut dump reported complete")
	}
	if len(c.Warnings) == 0 || !strings.Contains(c.Warnings[0], "cut short") {
		t.Errorf("warnings %v", c.Warnings)
	}
	whole, _ := ParseDump(bytes.NewReader(full), "goroutine.debug2")
	if c.Total() >= whole.Total() {
		t.Errorf("cut dump has %d goroutines, whole %d", c.Total(), whole.Total())
	}
	for _, g := range c.Goroutines {
		if len(g.Frames) == 0 {
			t.Errorf("goroutine %d kept without frames", g.ID)
		}
	}
	// debug=1 cut short is detected by its total.
	d1 := d.files["debug1"]
	c1, err := ParseDump(bytes.NewReader(d1[:len(d1)/2]), "goroutine.debug1")
	if err != nil {
		t.Fatal(err)
	}
	if c1.Complete {
		t.Error("cut debug=1 reported complete")
	}
}

func TestNotADump(t *testing.T) {
	for name, in := range map[string]string{
		"empty":   "",
		"text":    "hello world\n",
		"bad pb":  "\x08\x96\x01\x00\x00",
		"debug1":  "goroutine profile: total x\n",
		"longish": strings.Repeat("a", 5000),
	} {
		if _, err := ParseDump(strings.NewReader(in), name); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
}

func FuzzParseDump(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.txt"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("goroutine 1 [running]:\nmain.main()\n\t/x.go:1 +0x1\n"))
	f.Add([]byte("goroutine profile: total 1\n1 @ 0x1\n#\t0x1\tmain.main+0x1\t/x.go:1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseDump(bytes.NewReader(b), "fuzz")
		if err != nil {
			return
		}
		Group(c)
		Summarize(c)
		for _, g := range c.Goroutines {
			Signature(c.Crash, g.Frames)
		}
	})
}

func TestFilter(t *testing.T) {
	d := realDumps(t)
	c, err := ParseDump(bytes.NewReader(d.files["sigquit"]), "sigquit")
	if err != nil {
		t.Fatal(err)
	}
	for expr, want := range map[string]int{
		"wait=chan receive": 20, "wait=sync.Mutex": 30, "func=main.main.func1": 30,
		"created=main.main": 60, "status=waiting": c.Total() - 0,
	} {
		exprs := strings.Split(expr, ",")
		f, err := Filter(c, append(exprs, "user"))
		if err != nil {
			t.Fatal(err)
		}
		if expr == "status=waiting" {
			continue
		}
		if f.Total() != want {
			t.Errorf("%s: %d goroutines, want %d", expr, f.Total(), want)
		}
	}
	if _, err := Filter(c, []string{"bogus"}); err == nil {
		t.Error("bad filter accepted")
	}
}

func BenchmarkParseDump(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "sigquit.txt"))
	if err != nil {
		b.Skip(err)
	}
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		c, err := ParseDump(bytes.NewReader(data), "sigquit")
		if err != nil {
			b.Fatal(err)
		}
		Group(c)
	}
}

// TestGroupOwnChannels: goroutines sharing a stack, each on a channel of
// its own, make one group listing every address once, ascending.
func TestGroupOwnChannels(t *testing.T) {
	c := crowdOnOwnChannels(20000)
	// A second goroutine on each of the first hundred channels.
	for i := range 100 {
		g := c.Goroutines[i]
		g.ID += 1 << 20
		c.Goroutines = append(c.Goroutines, g)
	}
	gs := Group(c)
	if len(gs) != 1 || gs[0].Count != 20100 {
		t.Fatalf("%d groups, first of %d", len(gs), gs[0].Count)
	}
	addrs := gs[0].LockAddrs
	if len(addrs) != 20000 || !slices.IsSorted(addrs) || slices.Compact(slices.Clone(addrs))[19999] != addrs[19999] {
		t.Errorf("%d lock addresses, sorted %v", len(addrs), slices.IsSorted(addrs))
	}
}

// TestIDSet: IDs in the bitmap's range and beyond it, and negative ones,
// are each found once added and not before.
func TestIDSet(t *testing.T) {
	var s idSet
	ids := []int64{0, 1, 63, 64, 100000, bitmapMaxID - 1, bitmapMaxID, 1 << 40, -5}
	for _, id := range ids {
		if s.has(id) {
			t.Errorf("%d found before it was added", id)
		}
		s.add(id)
		if !s.has(id) {
			t.Errorf("%d not found once added", id)
		}
	}
	for _, id := range []int64{2, 65, 99999, bitmapMaxID + 1, 1<<40 + 1, -4} {
		if s.has(id) {
			t.Errorf("%d found, never added", id)
		}
	}
}
