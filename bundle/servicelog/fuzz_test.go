package servicelog

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	slt "github.com/coroner/coroner/bundle/servicelog/servicelogtest"
)

// seeds are real runtime output in every host format: the start of the
// bundle's frozen crash log (gctrace lines, then a crash under
// GOTRACEBACK=crash), wrapped by each wrapper, plus a few malformed
// records.
func seeds(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("..", "ingest", "testdata", "seed", "crash.log"))
	if err != nil {
		f.Fatal(err)
	}
	// Small inputs mutate fast: three gctrace lines and the crash's first
	// 40 lines.
	lines := bytes.SplitAfter(b, []byte("\n"))
	i := bytes.Index(b, []byte("panic: "))
	small := append(bytes.Join(lines[:3], nil), bytes.Join(bytes.SplitAfter(b[i:], []byte("\n"))[:40], nil)...)
	for _, w := range slt.Wrappers {
		f.Add(w.Wrap(slt.Merge([]byte(`{"level":"info"}`+"\n"), small, "panic: ")))
	}
	for _, s := range []string{
		"2026-12-06T18:26:01.000000001Z stderr P panic: assign",
		`{"log":"panic: x\u00e9\ud83d\ude00\\","stream":"stderr"}`,
		`{"MESSAGE":[112,97,110,105,99,58,32,120],"_PID":"1"}` + "\n{\"MESSAGE\":null}",
		"<30>1 2026-12-06T18:26:01Z h a 1 - [x y=\"\\]\"] panic: x\n",
		"panic: x\n\ngoroutine 1 [running]:\nmain.main()\n\t/x.go:1 +0x1\n-----\n\nSIGQUIT: quit\n",
	} {
		f.Add([]byte(s))
	}
}

// FuzzScan demands that reading any log never panics, keeps its lines
// within MaxLine, and that Find (which reads all of a log shorter than
// TailBytes) and Scan agree.
func FuzzScan(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Scan(bytes.NewReader(data), "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		found, err := Find(bytes.NewReader(data), int64(len(data)), "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		if s.Format != found.Format || s.Tracebacks != found.Tracebacks || s.GCTraceLines != found.GCTraceLines || (s.Last == nil) != (found.Last == nil) {
			t.Fatalf("Scan %+v, Find %+v", s, found)
		}
		if s.Last != nil && (!bytes.Equal(s.Last.Text(), found.Last.Text()) || !IsStart([]byte(s.Last.Line)) && len(s.Last.Line) < maxCrashLine) {
			t.Fatalf("last traceback: Scan %+v, Find %+v", s.Last, found.Last)
		}
	})
}

// FuzzLines demands that unwrapping any input in any format never panics
// and never gives a line longer than MaxLine.
func FuzzLines(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []Format{Plain, CRI, Docker, JournalJSON, Syslog, RFC5424, Kubectl} {
			l := NewLines(bytes.NewReader(data), format, 0, "fuzz")
			for {
				ln, err := l.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if len(ln.Text) > MaxLine || ln.Offset < 0 || ln.Offset > int64(len(data)) {
					t.Fatalf("%s: line of %d bytes at %d", format, len(ln.Text), ln.Offset)
				}
			}
		}
	})
}

// goroutineHeaderRE is the header's grammar (traceback.go
// goroutineheader) as a regular expression, the oracle for the
// hand-written IsGoroutineHeader.
var goroutineHeaderRE = regexp.MustCompile(`^goroutine [0-9]+ (?:gp=0x[0-9a-f]+ m=[0-9a-z]+ (?:mp=0x[0-9a-f]+ )?)?\[[^\]]+\]:$`)

// FuzzGoroutineHeader checks IsGoroutineHeader against the grammar.
func FuzzGoroutineHeader(f *testing.F) {
	for _, s := range []string{
		"goroutine 1 [running]:",
		"goroutine 18 gp=0xc000102380 m=nil [chan receive, 3 minutes]:",
		"goroutine 7 gp=0xc000007c00 m=3 mp=0xc000080008 [running]:",
		"goroutine 7 gp=0xc0 m=3 mp=0xZZ [running]:",
		"goroutine 7 gp=0xc0 [running]:",
		"goroutine 1 []:",
		"goroutine 1 [a]]:",
		"goroutine  [running]:",
		"goroutine 1 [running]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := IsGoroutineHeader([]byte(s)), goroutineHeaderRE.MatchString(s); got != want {
			t.Fatalf("IsGoroutineHeader(%q) = %v, the grammar says %v", s, got, want)
		}
	})
}
