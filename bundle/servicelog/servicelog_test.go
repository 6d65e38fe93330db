package servicelog

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"reflect"
	"testing"

	"github.com/coroner/coroner/bundle/gctrace"

	slt "github.com/coroner/coroner/bundle/servicelog/servicelogtest"
	"github.com/coroner/coroner/internal/testcore"
)

// check runs Find and Scan over log and compares both with the real
// run's traceback and gctrace count.
func check(t *testing.T, log []byte, want Format, tb []byte, gcs, tracebacks int) *Found {
	t.Helper()
	if got := Detect(log[:min(len(log), HeadBytes)]); got != want {
		t.Fatalf("Detect = %q, want %q; head:\n%.400s", got, want, log)
	}
	found, err := Find(bytes.NewReader(log), int64(len(log)), "log")
	if err != nil {
		t.Fatal(err)
	}
	scanned, err := Scan(bytes.NewReader(log), "log")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []*Found{found, scanned} {
		if f.Format != want || f.Tracebacks != tracebacks || f.GCTraceLines != gcs {
			t.Errorf("found %s, %d tracebacks, %d gctrace lines; want %s, %d, %d", f.Format, f.Tracebacks, f.GCTraceLines, want, tracebacks, gcs)
		}
		if f.Last == nil {
			t.Fatal("no traceback found")
		}
		if !bytes.Equal(f.Last.Text(), tb) {
			t.Errorf("traceback differs from the runtime's output:\ngot:\n%s\nwant:\n%s", f.Last.Text(), tb)
		}
		if f.Last.Cut {
			t.Error("traceback marked cut")
		}
	}
	return found
}

func TestCrashInEveryFormat(t *testing.T) {
	for _, level := range []string{"all", "crash"} {
		o := crashRun(t, level)
		tb := tracebackOf(t, o.stderr, "panic: ")
		gcs := gcLines(o.stderr)
		if gcs == 0 {
			t.Fatalf("no gctrace lines in the run:\n%s", o.stderr)
		}
		for _, w := range slt.Wrappers {
			t.Run(level+"/"+w.Name, func(t *testing.T) {
				f := check(t, w.Wrap(slt.Merge(o.stdout, o.stderr, "panic: ")), Format(w.Format), tb, gcs, 1)
				if f.Last.Line != "panic: assignment to entry in nil map" {
					t.Errorf("crash line %q", f.Last.Line)
				}
			})
		}
	}
}

func TestSIGQUITInEveryFormat(t *testing.T) {
	stderr := quitRun(t)
	tb := tracebackOf(t, append([]byte("\n"), stderr...), "SIGQUIT: quit")
	for _, w := range slt.Wrappers {
		t.Run(w.Name, func(t *testing.T) {
			f := check(t, w.Wrap(slt.Merge(nil, stderr, "SIGQUIT: ")), Format(w.Format), tb, gcLines(stderr), 1)
			if f.Last.Line != "SIGQUIT: quit" {
				t.Errorf("crash line %q", f.Last.Line)
			}
		})
	}
}

// TestRestarts: a service that crashed, was restarted, and crashed again
// holds two tracebacks; the last is the incident.
func TestRestarts(t *testing.T) {
	o := crashRun(t, "all")
	quit := quitRun(t)
	tb := tracebackOf(t, append([]byte("\n"), quit...), "SIGQUIT: quit")
	both := output{stdout: o.stdout, stderr: append(append([]byte(nil), o.stderr...), quit...)}
	for _, w := range slt.Wrappers {
		t.Run(w.Name, func(t *testing.T) {
			log := w.Wrap(slt.Merge(both.stdout, both.stderr, "SIGQUIT: "))
			f := check(t, log, Format(w.Format), tb, gcLines(both.stderr), 2)
			first := bytes.Index(log, []byte("panic: assignment"))
			if f.Last.Offset <= int64(first) {
				t.Errorf("last traceback at %d, not after the first at %d", f.Last.Offset, first)
			}
		})
	}
}

// jsonNoise is an application's structured log line.
func jsonNoise(i int) string {
	return fmt.Sprintf(`{"time":"2026-12-06T18:20:%02d.%06dZ","level":"info","msg":"request served","path":"/checkout","status":200,"bytes":%d}`, i%60, i, 1000+i%777)
}

// TestTracebackBeyondHead: 20,000 application lines before the runtime's
// output, the traceback far past any head read.
func TestTracebackBeyondHead(t *testing.T) {
	o := crashRun(t, "all")
	tb := tracebackOf(t, o.stderr, "panic: ")
	var pre bytes.Buffer
	for i := range 20000 {
		pre.WriteString(jsonNoise(i) + "\n")
	}
	long := output{stdout: o.stdout, stderr: append(pre.Bytes(), o.stderr...)}
	for _, w := range slt.Wrappers {
		t.Run(w.Name, func(t *testing.T) {
			f := check(t, w.Wrap(slt.Merge(long.stdout, long.stderr, "panic: ")), Format(w.Format), tb, gcLines(o.stderr), 1)
			if f.Last.Offset < HeadBytes {
				t.Errorf("traceback at offset %d, within the head", f.Last.Offset)
			}
		})
	}
}

// TestHugeLogReadsOnlyTail: Find over a 1 GiB log (generated on the fly,
// never stored) reads its head and its last TailBytes, no more.
func TestHugeLogReadsOnlyTail(t *testing.T) {
	o := crashRun(t, "all")
	tb := tracebackOf(t, o.stderr, "panic: ")
	for _, w := range []slt.Wrapper{slt.Wrappers[0], slt.Wrappers[1], slt.Wrappers[3]} {
		t.Run(w.Name, func(t *testing.T) {
			tail := w.Wrap(slt.Merge(o.stdout, o.stderr, "panic: "))
			noise := w.Wrap([]slt.Record{{Stream: "stdout", Text: jsonNoise(7)}, {Stream: "stderr", Text: "gc 1 @0.012s 0%: 0.010+0.20+0.003 ms clock, 0.040+0/0.1/0+0.012 ms cpu, 4->4->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 4 P"}})
			v := &virtualLog{noise: noise, tail: tail, size: (1<<30)/int64(len(noise))*int64(len(noise)) + int64(len(tail))}
			f, err := Find(v, v.size, "huge")
			if err != nil {
				t.Fatal(err)
			}
			if f.Last == nil || !bytes.Equal(f.Last.Text(), tb) || f.Tracebacks != 1 {
				t.Fatalf("found %+v", f)
			}
			if f.From != v.size-firstWindow || v.lowest < f.From {
				t.Errorf("read from %d (lowest read %d) of %d", f.From, v.lowest, v.size)
			}
			if v.read > HeadBytes+firstWindow+64<<10 {
				t.Errorf("read %d bytes of a %d-byte log", v.read, v.size)
			}
			if f.GCTraceLines < firstWindow/len(noise)/2 {
				t.Errorf("%d gctrace lines in the tail", f.GCTraceLines)
			}
		})
	}
}

// manySrc parks thousands of goroutines, says it is ready, then crashes
// when asked to or waits for SIGQUIT: its traceback is several MiB, and
// under GOTRACEBACK=crash a SIGQUIT dump ends with the other threads'
// dumps, each after "-----".
const manySrc = `package main

import (
	"fmt"
	"os"
	"time"
)

func park(ch chan int) { <-ch }

func main() {
	ch := make(chan int)
	for i := 0; i < 6000; i++ {
		go park(ch)
	}
	time.Sleep(200 * time.Millisecond)
	fmt.Println("ready")
	if len(os.Args) > 1 {
		var m map[int]int
		m[1] = 1
	}
	time.Sleep(time.Hour)
}
`

// TestLongTracebackGrowsTheRead: a traceback longer than the first part
// read, after 1 GiB of application lines, is found whole by reading
// further back; so is a SIGQUIT dump whose last part, the other threads'
// dumps, begins with a start line of its own.
func TestLongTracebackGrowsTheRead(t *testing.T) {
	exe := build(t, manySrc)
	cmd := exec.Command(exe, "crash")
	cmd.Env = append(os.Environ(), "GOTRACEBACK=crash")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if cmd.Run() == nil {
		t.Fatal("program did not crash")
	}
	quit := testcore.Start(t, exe, "ready", "GOTRACEBACK=crash").Quit(t)
	if !bytes.Contains(quit, []byte("\n-----\n\nSIGQUIT: quit\n")) {
		t.Fatalf("SIGQUIT dump under GOTRACEBACK=crash without other threads' dumps:\n%.2000s", quit)
	}
	for name, tb := range map[string][]byte{"panic": stderr.Bytes(), "sigquit": quit} {
		t.Run(name, func(t *testing.T) {
			if len(tb) < 2*firstWindow {
				t.Fatalf("traceback of %d bytes, want more than %d", len(tb), 2*firstWindow)
			}
			noise := []byte(jsonNoise(1) + "\n")
			v := &virtualLog{noise: noise, tail: tb, size: (1<<30)/int64(len(noise))*int64(len(noise)) + int64(len(tb))}
			f, err := Find(v, v.size, "huge")
			if err != nil {
				t.Fatal(err)
			}
			if f.Last == nil {
				t.Fatalf("no traceback found, read from %d", f.From)
			}
			first := string(tb[:bytes.IndexByte(tb, '\n')])
			if !bytes.Equal(f.Last.Text(), tb) || f.Tracebacks != 1 || f.Last.Line != first {
				t.Fatalf("found %d tracebacks, last %q of %d bytes at %d (want %q, %d bytes)", f.Tracebacks, f.Last.Line, len(f.Last.Text()), f.Last.Offset, first, len(tb))
			}
			if f.From >= v.size-int64(len(tb)) || f.From < v.size-TailBytes {
				t.Errorf("read from %d; the traceback starts at %d", f.From, v.size-int64(len(tb)))
			}
		})
	}
}

// virtualLog is a log of size bytes that repeats noise and ends with
// tail, generated as it is read; it records how much was read.
type virtualLog struct {
	noise, tail  []byte
	size         int64
	read, lowest int64
}

func (v *virtualLog) ReadAt(p []byte, off int64) (int, error) {
	if off >= HeadBytes && (v.lowest == 0 || off < v.lowest) {
		v.lowest = off
	}
	tailAt := v.size - int64(len(v.tail))
	n := 0
	for n < len(p) && off < v.size {
		var c int
		if off >= tailAt {
			c = copy(p[n:], v.tail[off-tailAt:])
		} else {
			i := off % int64(len(v.noise))
			c = copy(p[n:], v.noise[i:min(int64(len(v.noise)), i+tailAt-off)])
		}
		n += c
		off += int64(c)
	}
	v.read += int64(n)
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// TestSurveyCountsEarlierRestarts: a crash 8 MiB before the last one, in
// a 1 GiB log, is past the part Find needs but counted by Survey.
func TestSurveyCountsEarlierRestarts(t *testing.T) {
	o := crashRun(t, "all")
	tb := tracebackOf(t, o.stderr, "panic: ")
	var tail bytes.Buffer
	tail.Write(tb)
	for tail.Len() < 8<<20 {
		tail.WriteString(jsonNoise(tail.Len()) + "\n")
	}
	tail.Write(o.stderr)
	noise := []byte(jsonNoise(3) + "\n")
	v := &virtualLog{noise: noise, tail: tail.Bytes(), size: (1<<30)/int64(len(noise))*int64(len(noise)) + int64(tail.Len())}
	f, err := Find(v, v.size, "huge")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Survey(v, v.size, "huge")
	if err != nil {
		t.Fatal(err)
	}
	if f.Tracebacks != 1 || s.Tracebacks != 2 || s.From != v.size-TailBytes || !bytes.Equal(f.Last.Text(), tb) || !bytes.Equal(s.Last.Text(), tb) {
		t.Errorf("Find: %d tracebacks from %d; Survey: %d from %d", f.Tracebacks, f.From, s.Tracebacks, s.From)
	}
}

// TestGCTraceFromTheRead: the gctrace summary a read can tell is the one
// a gctrace reader gives of the whole log, in every wrapper format and
// with CRLF line ends; a read that began after the log's start, met a
// line a gctrace reader gives up at, or met more gctrace lines than it
// keeps cannot tell it.
func TestGCTraceFromTheRead(t *testing.T) {
	o := crashRun(t, "all")
	merged := slt.Merge(o.stdout, o.stderr, "panic: ")
	// Without its gctrace records, and the records' parts that other
	// writes cut (the runtime prints a record in several writes).
	var plain []byte
	for _, l := range bytes.SplitAfter(o.stderr, []byte("\n")) {
		if !bytes.Contains(l, []byte("gc ")) {
			plain = append(plain, l...)
		}
	}
	gcLine := "gc 1 @0.012s 0%: 0.010+0.20+0.003 ms clock, 0.040+0/0.1/0+0.012 ms cpu, 4->4->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 4 P\n"
	type logCase struct {
		name string
		log  []byte
		ok   bool
	}
	cases := []logCase{
		{"without gctrace", plain, true},
		{"crlf", bytes.ReplaceAll(o.stderr, []byte("\n"), []byte("\r\n")), true},
		{"read in part", append(bytes.Repeat([]byte("level=info msg=\"serving\"\n"), 2*firstWindow/24), o.stderr...), false},
		{"a line too long for gctrace", append(append(bytes.Repeat([]byte("x"), gctrace.MaxLine), '\n'), o.stderr...), false},
		{"more gctrace lines than kept", append(bytes.Repeat([]byte(gcLine), maxMentionBytes/len(gcLine)+1), o.stderr...), false},
	}
	for _, w := range slt.Wrappers {
		cases = append(cases, logCase{w.Name, w.Wrap(merged), true})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Find(bytes.NewReader(tc.log), int64(len(tc.log)), "log")
			if err != nil {
				t.Fatal(err)
			}
			if f.Last == nil {
				t.Fatal("no traceback found")
			}
			got, ok := f.GCTrace()
			if ok != tc.ok {
				t.Fatalf("GCTrace ok = %v, want %v (read from %d, longest line %d)", ok, tc.ok, f.From, f.Longest)
			}
			if !ok {
				return
			}
			r, err := NewReader(bytes.NewReader(tc.log), "log")
			if err != nil {
				t.Fatal(err)
			}
			want, err := gctrace.Summarize(r, "log")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("from the read: %d cycles, %d skipped, lines %v\nread again: %d cycles, %d skipped, lines %v",
					got.Cycles, got.Skipped, cycleLines(got), want.Cycles, want.Skipped, cycleLines(want))
			}
		})
	}
}

func cycleLines(s *gctrace.Summary) []int {
	var out []int
	for _, c := range s.CyclesList {
		out = append(out, c.Line)
	}
	return out
}
