package texthead_test

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/coroner/coroner/bundle/gctrace"
	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/bundle/procfs"
	"github.com/coroner/coroner/bundle/servicelog"
	"github.com/coroner/coroner/bundle/symbolize"
	"github.com/coroner/coroner/bundle/texthead"
)

// lines splits data as the head and Rest do, for comparison.
func lines(data []byte) [][]byte {
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, texthead.MaxLine)
	for sc.Scan() {
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	return out
}

// check demands that the head and Rest together give the file's lines,
// each once and in order, the head at most HeadLines of them.
func check(t *testing.T, data []byte) {
	h := texthead.Read(bytes.NewReader(data), int64(len(data)), data[:min(len(data), 64<<10)], false)
	if len(h.Lines) > texthead.HeadLines {
		t.Fatalf("%d head lines", len(h.Lines))
	}
	got := append([][]byte(nil), h.Lines...)
	h.Rest(func(l []byte) bool { got = append(got, append([]byte(nil), l...)); return true })
	want := lines(data)
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("line %d: %q, want %q", i+1, got[i], want[i])
		}
	}
}

// seeds are real captures: a service's stderr (gctrace lines, then a
// crash) and a goroutine dump.
func seeds(t testing.TB) [][]byte {
	var out [][]byte
	for _, name := range []string{"crash.log", "goroutines.txt"} {
		b, err := os.ReadFile(filepath.Join("..", "ingest", "testdata", "seed", name))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestHeadAndRest: over real files, repeated past the head, with CRLF
// endings and without a final newline, the head and the rest split the
// lines as bufio.ScanLines does.
func TestHeadAndRest(t *testing.T) {
	for _, s := range seeds(t) {
		long := bytes.Repeat(s, 3)
		check(t, long)
		check(t, bytes.ReplaceAll(long, []byte("\n"), []byte("\r\n")))
		check(t, bytes.TrimRight(long, "\n"))
	}
}

// FuzzRead: no input makes the head, Rest or any text row panic, and the
// head and the rest always split the lines as bufio.ScanLines does.
func FuzzRead(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Add([]byte("Limit                     Soft Limit           Hard Limit           Units     \n"))
	f.Add([]byte("ffffffff81000000 T _text\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		check(t, data)
		rows := []func(*texthead.Head) (bool, map[string]string){goroutines.Recognize, gctrace.Recognize,
			procfs.RecognizeLimits, procfs.RecognizeStatus, symbolize.RecognizeKallsyms, procfs.RecognizeMaps, servicelog.Recognize}
		for _, row := range rows {
			h := texthead.Read(bytes.NewReader(data), int64(len(data)), data[:min(len(data), 64<<10)], true)
			row(h)
		}
	})
}
