package perfdata

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReader feeds mutated real perf.data files (file and pipe mode,
// frame-pointer and DWARF call graphs, two events, several processes with
// cgroups) through Describe, the record reader, aggregation and the
// per-process split. It demands only that nothing panics or
// allocates without bound.
func FuzzReader(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.data")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ra := bytes.NewReader(b)
		Describe(ra, int64(len(b)))
		r, err := NewReader(ra, int64(len(b)))
		if err != nil {
			return
		}
		for i := 0; i < 1<<16; i++ {
			if _, err := r.Next(); err != nil {
				break
			}
		}
		r2, err := NewReader(ra, int64(len(b)))
		if err != nil {
			t.Fatalf("second reader failed where the first did not: %v", err)
		}
		if a, err := aggregate(r2, Options{}); err == nil {
			a.Top(10)
			if _, err := a.Profile(); err != nil {
				t.Fatalf("profile from fuzzed input is invalid: %v", err)
			}
			s := a.Split()
			if s.Idle+s.Target+s.Neighbours != s.Total {
				t.Fatalf("split %+v does not add up", s)
			}
			for _, p := range a.Processes {
				if len(p.Comm) > commMax {
					t.Fatalf("command name of %d bytes kept", len(p.Comm))
				}
				if _, err := a.Only(p.PID).Profile(); err != nil {
					t.Fatalf("profile of process %d from fuzzed input is invalid: %v", p.PID, err)
				}
			}
		}
	})
}

// recordOffsets walks a file-mode perf.data and returns the offset and
// type of each record.
func recordOffsets(t *testing.T, b []byte) (offs []int64, types []uint32) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		offs = append(offs, rec.Hdr().Offset)
		types = append(types, rec.Hdr().Type)
	}
}

func firstOfType(t *testing.T, b []byte, typ uint32) int64 {
	offs, types := recordOffsets(t, b)
	for i, ty := range types {
		if ty == typ {
			return offs[i]
		}
	}
	t.Fatalf("no record of type %d", typ)
	return 0
}

func readAll(b []byte) (samples int64, warns []string, err error) {
	r, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return 0, nil, err
	}
	for {
		_, err := r.Next()
		if errors.Is(err, io.EOF) {
			return r.Samples(), r.Warnings(), nil
		}
		if err != nil {
			return r.Samples(), r.Warnings(), err
		}
	}
}

func TestBadInput(t *testing.T) {
	good, err := os.ReadFile("testdata/fp.data")
	if err != nil {
		t.Fatal(err)
	}
	total, _, err := readAll(good)
	if err != nil || total == 0 {
		t.Fatalf("fixture: %d samples, %v", total, err)
	}
	sample := firstOfType(t, good, RecordSample)

	t.Run("truncated", func(t *testing.T) {
		offs, types := recordOffsets(t, good)
		last := int64(0)
		for i, ty := range types {
			if ty == RecordSample {
				last = offs[i]
			}
		}
		cut := good[:last+10] // inside the last sample
		n, warns, err := readAll(cut)
		if err != nil {
			t.Fatal(err)
		}
		if n != total-1 || len(warns) != 2 || !strings.Contains(warns[1], fmt.Sprintf("offset 0x%x is cut short after %d samples", last, n)) {
			t.Errorf("%d samples (want %d), warnings %q", n, total-1, warns)
		}
	})
	t.Run("zero-length record", func(t *testing.T) {
		b := bytes.Clone(good)
		le.PutUint16(b[sample+6:], 0)
		n, warns, err := readAll(b)
		want := fmt.Sprintf("record at offset 0x%x has size 0", sample)
		if err != nil || n != 0 || len(warns) != 1 || !strings.Contains(warns[0], want) {
			t.Errorf("%d samples, warnings %q, error %v; want a warning %q", n, warns, err, want)
		}
	})
	t.Run("absurd callchain", func(t *testing.T) {
		b := bytes.Clone(good)
		// fp.data samples carry ip, tid, time, period, callchain: nr is
		// the 5th u64 of the body.
		le.PutUint64(b[sample+8+32:], 70000)
		n, warns, err := readAll(b)
		if err != nil {
			t.Fatal(err)
		}
		if n != total-1 || len(warns) != 1 || !bytes.Contains([]byte(warns[0]), []byte("callchain length 70000 exceeds record size")) {
			t.Errorf("%d samples (want %d), warnings %q", n, total-1, warns)
		}
	})
	t.Run("unknown type", func(t *testing.T) {
		b := bytes.Clone(good)
		le.PutUint32(b[sample:], 50)
		n, warns, err := readAll(b)
		if err != nil {
			t.Fatal(err)
		}
		if n != total-1 || len(warns) != 1 || !bytes.Contains([]byte(warns[0]), []byte("unknown record type 50")) {
			t.Errorf("%d samples, warnings %q", n, warns)
		}
	})
	t.Run("size past end", func(t *testing.T) {
		b := bytes.Clone(good)
		le.PutUint64(b[48:], 1<<40)
		n, warns, err := readAll(b)
		if err != nil || n != total || len(warns) != 2 || !strings.Contains(warns[0], "truncated") {
			t.Errorf("data size past the end: %d samples, %q, %v", n, warns, err)
		}
		le.PutUint64(b[40:], 1<<40)
		if _, _, err := readAll(b); err == nil {
			t.Error("data section starting past the end of the file accepted")
		}
	})
}
