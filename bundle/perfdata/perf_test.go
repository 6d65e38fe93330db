package perfdata

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// busyBinaries builds the test program unstripped and with -s -w. Both
// get the same fresh GNU build ID (go build -B) — the linker otherwise
// derives it from the flags — so either can symbolize the other's
// samples; fresh so that no build-ID cache holds another binary under it.
func busyBinaries(t *testing.T) (full, stripped string) {
	t.Helper()
	var id [20]byte
	if _, err := rand.Read(id[:]); err != nil {
		t.Fatal(err)
	}
	testBuildID := "0x" + hex.EncodeToString(id[:])
	dir := t.TempDir()
	full, stripped = filepath.Join(dir, "busy"), filepath.Join(dir, "stripped", "busy")
	for _, b := range []struct{ out, flags string }{
		{full, "-B " + testBuildID},
		{stripped, "-s -w -B " + testBuildID},
	} {
		cmd := exec.Command("go", "build", "-o", b.out, "-ldflags="+b.flags, ".")
		cmd.Dir = "testdata/busy"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building the test program: %v\n%s", err, out)
		}
	}
	return full, stripped
}

// needPerf skips unless perf can record here.
func needPerf(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("perf"); err != nil {
		t.Skip("perf is not installed")
	}
	if testing.Short() {
		t.Skip("records with perf; skipped in -short mode")
	}
	if b, err := os.ReadFile("/proc/kallsyms"); err != nil || bytes.HasPrefix(b, []byte("0000000000000000 ")) {
		t.Skip("no /proc/kallsyms with addresses (kptr_restrict) to name kernel frames with")
	}
	probe := filepath.Join(t.TempDir(), "probe.data")
	if out, err := exec.Command("perf", "record", "-q", "--no-buildid-cache", "-g", "-o", probe, "true").CombinedOutput(); err != nil {
		t.Skipf("perf record cannot sample here (perf_event_paranoid, container?): %v\n%s", err, out)
	}
}

func run(t *testing.T, dir string, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// perfScriptSamples counts the samples perf script prints (one line each
// with -G).
func perfScriptSamples(t *testing.T, data string) int64 {
	out := run(t, "", "perf", "script", "-G", "-i", data)
	return int64(bytes.Count(out, []byte("\n")))
}

// perfReportRow matches a row of perf report --stdio -n --sort sym:
// overhead, samples, "[k]" or "[.]", symbol.
var perfReportRow = regexp.MustCompile(`^\s+[\d.]+%\s+(\d+)\s+(\[[k.]\] .*?)\s*$`)

// perfReport returns perf's flat profile by symbol. The linker names the
// ELF symbols of assembly functions with an ".abi0" suffix; the pclntab,
// runtime.FuncForPC and Go's pprof do not, and coroner uses the pclntab
// name, so the suffix is dropped here.
func perfReport(t *testing.T, data, kallsyms string) map[string]int64 {
	out := run(t, "", "perf", "report", "-i", data, "--stdio", "--no-children", "--sort", "sym", "-n", "-g", "none", "--kallsyms", kallsyms)
	m := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		g := perfReportRow.FindStringSubmatch(sc.Text())
		if g == nil {
			continue
		}
		n, _ := strconv.ParseInt(g[1], 10, 64)
		m[strings.TrimSuffix(g[2], ".abi0")] += n
	}
	if len(m) == 0 {
		t.Fatalf("perf report printed no rows:\n%s", out)
	}
	return m
}

// top20 returns the 20 largest rows, ranked by samples then name, cut
// before a tie that straddles the 20th place so both sides are comparable.
func top20(m map[string]int64) []string {
	type row struct {
		name string
		n    int64
	}
	var rows []row
	for k, v := range m {
		rows = append(rows, row{k, v})
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].n != rows[j].n {
			return rows[i].n > rows[j].n
		}
		return rows[i].name < rows[j].name
	})
	if len(rows) > 20 {
		cut := 20
		for cut > 0 && rows[cut-1].n == rows[20].n {
			cut--
		}
		rows = rows[:cut]
	}
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%6d %s", r.n, r.name))
	}
	return out
}

func ourTop(t *testing.T, data string, o Options) (map[string]int64, *Aggregate) {
	t.Helper()
	a, err := AggregateFile(data, o)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int64{}
	for _, e := range a.Top(0) {
		m[e.Name] = e.Samples
	}
	return m, a
}

func diffTop(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: top-20 differs\ncoroner:\n%s\nwant:\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestAgainstPerf records the test program with real perf in several
// shapes and checks coroner's sample count against perf script and its
// top-20 against perf report on the same file.
func TestAgainstPerf(t *testing.T) {
	needPerf(t)
	full, stripped := busyBinaries(t)
	dir := t.TempDir()
	shapes := []struct {
		name   string
		record func(t *testing.T, out string) // records into out
	}{
		{"fp-launched", func(t *testing.T, out string) {
			run(t, dir, "perf", "record", "-q", "--no-buildid-cache", "-g", "-F", "999", "-o", out, full, "1s")
		}},
		{"dwarf", func(t *testing.T, out string) {
			run(t, dir, "perf", "record", "-q", "--no-buildid-cache", "--call-graph", "dwarf,8192", "-F", "499", "-o", out, full, "1s")
		}},
		{"pid", func(t *testing.T, out string) {
			cmd := exec.Command(full, "60s")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				cmd.Process.Kill()
				cmd.Wait()
			}()
			time.Sleep(200 * time.Millisecond)
			run(t, dir, "perf", "record", "-q", "--no-buildid-cache", "-g", "-F", "999", "-p", strconv.Itoa(cmd.Process.Pid), "-o", out, "--", "sleep", "1")
		}},
		{"pie-many-threads", func(t *testing.T, out string) {
			pie := filepath.Join(dir, "busy-pie")
			cmd := exec.Command("go", "build", "-buildmode=pie", "-o", pie, ".")
			cmd.Dir = "testdata/busy"
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("building the PIE test program: %v\n%s", err, b)
			}
			rec := exec.Command("perf", "record", "-q", "--no-buildid-cache", "-g", "-F", "999", "-o", out, pie, "1s")
			rec.Env = append(os.Environ(), "GOMAXPROCS=16") // a thread per P
			if b, err := rec.CombinedOutput(); err != nil {
				t.Fatalf("perf record: %v\n%s", err, b)
			}
		}},
		{"pipe", func(t *testing.T, out string) {
			b := run(t, dir, "perf", "record", "-q", "--no-buildid-cache", "-g", "-F", "999", "-o", "-", full, "1s")
			if err := os.WriteFile(out, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, sh := range shapes {
		t.Run(sh.name, func(t *testing.T) {
			data := filepath.Join(dir, sh.name+".data")
			sh.record(t, data)
			bins := map[string]string{full: full}
			if sh.name == "pie-many-threads" {
				bins = nil // found where perf recorded it, as perf does
			}
			ours, a := ourTop(t, data, Options{Binaries: bins, Kallsyms: "/proc/kallsyms"})
			if want := perfScriptSamples(t, data); a.Samples != want {
				t.Errorf("%d samples, perf script prints %d", a.Samples, want)
			}
			diffTop(t, "vs perf report", top20(ours), top20(perfReport(t, data, "/proc/kallsyms")))
			if sh.name == "dwarf" {
				checkUnwound(t, a)
				// perf writes a pass over the CPU buffers at a time, so
				// samples can precede the MMAP of their code. Moving every
				// sample of the first pass ahead of that pass's MMAPs must
				// change no stack.
				b, err := os.ReadFile(data)
				if err != nil {
					t.Fatal(err)
				}
				moved := filepath.Join(dir, "dwarf-samples-first.data")
				if err := os.WriteFile(moved, samplesFirst(t, b), 0o644); err != nil {
					t.Fatal(err)
				}
				_, m := ourTop(t, moved, Options{Binaries: bins, Kallsyms: "/proc/kallsyms"})
				if only, gone := diffLines(stackCounts(m), stackCounts(a)); len(only)+len(gone) > 0 {
					t.Errorf("stacks change when samples precede their MMAP records\nonly when moved:\n%s\nonly as recorded:\n%s", strings.Join(only, "\n"), strings.Join(gone, "\n"))
				}
			}
			if n := sampledThreads(t, data); sh.name == "pie-many-threads" && n < 4 {
				t.Errorf("samples from %d threads; the test wants several", n)
			}
			checkExport(t, a, dir, sh.name)
		})
	}
	t.Run("stripped", func(t *testing.T) {
		data := filepath.Join(dir, "stripped.data")
		run(t, dir, "perf", "record", "-q", "--no-buildid-cache", "-g", "-F", "999", "-o", data, stripped, "1s")
		withStripped, a := ourTop(t, data, Options{Binaries: map[string]string{"busy": stripped}, Kallsyms: "/proc/kallsyms"})
		withFull, _ := ourTop(t, data, Options{Binaries: map[string]string{"busy": full}, Kallsyms: "/proc/kallsyms"})
		diffTop(t, "stripped vs unstripped binary", top20(withStripped), top20(withFull))
		for name := range withStripped {
			if strings.HasPrefix(name, "[.] 0x") && withStripped[name] > a.Samples/100 {
				t.Errorf("stripped binary left a hot address unsymbolized: %s", name)
			}
		}
		// A binary with another build ID must be refused, not used.
		other := filepath.Join(t.TempDir(), "busy")
		cmd := exec.Command("go", "build", "-o", other, "-ldflags=-B 0x0123456789abcdef0123456789abcdef01234567", ".")
		cmd.Dir = "testdata/busy"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building the test program: %v\n%s", err, out)
		}
		wrong, b := ourTop(t, data, Options{Binaries: map[string]string{"busy": other}, Kallsyms: "/proc/kallsyms"})
		if !strings.Contains(strings.Join(b.Warnings, "\n"), "build ID mismatch") {
			t.Errorf("no build-ID mismatch warning: %q", b.Warnings)
		}
		for name := range wrong {
			if strings.HasPrefix(name, "[.] main.") {
				t.Errorf("samples symbolized with a binary of another build ID: %s", name)
			}
		}
	})
}

// checkUnwound requires that unwinding the copied stacks reached the
// goroutine's function for at least 90 % of the samples in main.spin.
// main.spin is a frameless leaf, so every one of them should: its caller
// comes from the return address on top of the stack, found through the
// pcsp table, and only a sample whose copied stack perf cut short may lack
// it.
func checkUnwound(t *testing.T, a *Aggregate) {
	t.Helper()
	var spin, withCaller int64
	for _, st := range a.stacks {
		if a.locs[st.locs[0]].sym != "main.spin" {
			continue
		}
		spin += st.samples
		for _, id := range st.locs[1:] {
			if a.locs[id].sym == "main.main.func1" {
				withCaller += st.samples
				break
			}
		}
	}
	t.Logf("dwarf unwinding: %d of %d main.spin samples reached main.main.func1", withCaller, spin)
	if spin == 0 || withCaller*10 < spin*9 {
		t.Errorf("dwarf unwinding: %d of %d main.spin samples reached main.main.func1", withCaller, spin)
	}
}

// stackCounts lists an aggregate's stacks by name with their samples,
// sorted.
func stackCounts(a *Aggregate) []string {
	m := map[string]int64{}
	for _, st := range a.stacks {
		var names []string
		for _, id := range st.locs {
			names = append(names, a.locs[id].sym)
		}
		m[strings.Join(names, " < ")] += st.samples
	}
	var out []string
	for k, n := range m {
		out = append(out, fmt.Sprintf("%6d %s", n, k))
	}
	slices.Sort(out)
	return out
}

// diffLines returns the lines only in a and only in b, both sorted.
func diffLines(a, b []string) (onlyA, onlyB []string) {
	for len(a) > 0 || len(b) > 0 {
		switch {
		case len(b) == 0 || len(a) > 0 && a[0] < b[0]:
			onlyA, a = append(onlyA, a[0]), a[1:]
		case len(a) == 0 || b[0] < a[0]:
			onlyB, b = append(onlyB, b[0]), b[1:]
		default:
			a, b = a[1:], b[1:]
		}
	}
	return onlyA, onlyB
}

// samplesFirst returns the perf.data in b with the SAMPLE records of the
// first pass over the CPU buffers that holds any (the records between two
// FINISHED_ROUNDs) moved to the start of the pass before it, ahead of
// the COMM, MMAP and FORK records there: perf guarantees no more order
// than that.
func samplesFirst(t *testing.T, b []byte) []byte {
	t.Helper()
	r, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	type span struct {
		off, end int64
		pass     int
		sample   bool
	}
	var recs []span
	pass, first := 0, -1
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		h := rec.Hdr()
		if n := len(recs); n > 0 && recs[n-1].end != h.Offset {
			t.Fatalf("record at offset 0x%x does not follow the one ending at 0x%x", h.Offset, recs[n-1].end)
		}
		recs = append(recs, span{h.Offset, h.Offset + int64(h.Size), pass, h.Type == RecordSample})
		if h.Type == RecordSample && first < 0 {
			first = pass
		}
		if h.Type == RecordFinishedRound {
			pass++
		}
	}
	if first < 0 {
		t.Fatal("no samples")
	}
	to := max(first-1, 0)
	var moved, rest []byte
	for _, s := range recs {
		if s.sample && s.pass == first {
			moved = append(moved, b[s.off:s.end]...)
		} else if s.pass >= to {
			rest = append(rest, b[s.off:s.end]...)
		}
	}
	out := append([]byte(nil), b...)
	for _, s := range recs {
		if s.pass == to {
			copy(out[s.off:], append(moved, rest...))
			break
		}
	}
	return out
}

// checkExport writes the profile and reads it back, and has go tool pprof
// open it.
func checkExport(t *testing.T, a *Aggregate, dir, name string) {
	t.Helper()
	p, err := a.Profile()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".pb.gz")
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := profile.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, s := range back.Sample {
		total += s.Value[0]
	}
	if total != a.Samples {
		t.Errorf("exported profile holds %d samples, want %d", total, a.Samples)
	}
	out := run(t, dir, "go", "tool", "pprof", "-top", "-nodecount=5", path)
	if !bytes.Contains(out, []byte("main.")) && !bytes.Contains(out, []byte("sha256")) {
		t.Errorf("go tool pprof -top shows no program function:\n%s", out)
	}
}

// sampledThreads counts the distinct threads that samples came from.
func sampledThreads(t *testing.T, data string) int {
	t.Helper()
	r, err := Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tids := map[uint32]bool{}
	for {
		rec, err := r.Next()
		if err != nil {
			break
		}
		if s, ok := rec.(*Sample); ok {
			tids[s.TID] = true
		}
	}
	return len(tids)
}
