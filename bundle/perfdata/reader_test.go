package perfdata

import (
	"bufio"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
)

// readCounts reads testdata/counts.txt: each fixture's sample count as
// perf script printed it when gen.sh recorded it.
func readCounts(t *testing.T) map[string]int64 {
	t.Helper()
	f, err := os.Open("testdata/counts.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, n, ok := strings.Cut(sc.Text(), " ")
		v, err := strconv.ParseInt(n, 10, 64)
		if !ok || err != nil {
			t.Fatalf("counts.txt: bad line %q", sc.Text())
		}
		m[name] = v
	}
	return m
}

// drain reads every record and returns the sample count.
func drain(t *testing.T, r *Reader) int64 {
	t.Helper()
	for {
		_, err := r.Next()
		if errors.Is(err, io.EOF) {
			return r.Samples()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestFixtureSampleCounts(t *testing.T) {
	for name, want := range readCounts(t) {
		r, err := Open("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if got := drain(t, r); got != want {
			t.Errorf("%s: %d samples, perf script printed %d", name, got, want)
		}
		if w := r.Warnings(); len(w) > 0 {
			t.Errorf("%s: unexpected warnings %q", name, w)
		}
		r.Close()
	}
}

func TestSampleFields(t *testing.T) {
	r, err := Open("testdata/dwarf.data")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var mmaps, withStack int
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch v := rec.(type) {
		case *Mmap:
			if strings.HasSuffix(v.Filename, "/busy") && v.Prot&protExec != 0 {
				mmaps++
			}
		case *Sample:
			if v.PID == 0 || v.Time == 0 || v.Period == 0 {
				t.Errorf("sample at 0x%x lacks pid/time/period: %+v", v.Offset, v.Header)
			}
			if len(v.RegsUser) == regCount(v.Attr.SampleRegsUser) && len(v.StackUser) > 0 {
				withStack++
			}
		}
	}
	if mmaps == 0 {
		t.Error("no executable MMAP2 record for the recorded binary")
	}
	if withStack == 0 {
		t.Error("no sample carried user registers and a copied stack")
	}
}

// TestTwoEvents checks that samples are attributed to their event by ID.
func TestTwoEvents(t *testing.T) {
	r, err := Open("testdata/two-events.data")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if len(r.Attrs) != 2 {
		t.Fatalf("%d attributes, want 2", len(r.Attrs))
	}
	per := map[string]int{}
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if s, ok := rec.(*Sample); ok {
			per[s.Attr.Name]++
		}
	}
	if len(per) != 2 {
		t.Errorf("samples per event %v, want both events", per)
	}
}
