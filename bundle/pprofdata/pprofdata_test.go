package pprofdata

import (
	"bytes"
	"compress/gzip"
	"errors"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
)

// realProfiles writes a CPU and a heap profile of this process with
// runtime/pprof, as net/http/pprof serves them.
func realProfiles(t testing.TB) (cpu, heap []byte) {
	t.Helper()
	var c, h bytes.Buffer
	if err := pprof.StartCPUProfile(&c); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(200 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x += len(strings.Repeat("x", x%1000))
	}
	pprof.StopCPUProfile()
	if err := pprof.Lookup("heap").WriteTo(&h, 0); err != nil {
		t.Fatal(err)
	}
	return c.Bytes(), h.Bytes()
}

func TestDescribeReal(t *testing.T) {
	cpu, heap := realProfiles(t)
	a, err := Describe(bytes.NewReader(cpu), int64(len(cpu)))
	if err != nil {
		t.Fatal(err)
	}
	if a["profile_type"] != "cpu" || !strings.Contains(a["sample_types"], "cpu/nanoseconds") || a["time"] == "" || a["duration"] == "" {
		t.Errorf("cpu attrs %v", a)
	}
	if !strings.HasSuffix(a["period"], "cpu/nanoseconds") {
		t.Errorf("cpu period %q", a["period"])
	}
	a, err = Describe(bytes.NewReader(heap), int64(len(heap)))
	if err != nil {
		t.Fatal(err)
	}
	if a["profile_type"] != "heap" || !strings.Contains(a["sample_types"], "inuse_space/bytes") {
		t.Errorf("heap attrs %v", a)
	}
}

func TestGzipBombIsCapped(t *testing.T) {
	// A few hundred KiB of gzip that expand to 256 MiB of zeros:
	// profile.Parse would decompress all of it.
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	zero := make([]byte, 1<<20)
	for range 256 {
		w.Write(zero)
	}
	w.Close()
	_, err := Parse(bytes.NewReader(b.Bytes()))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

func TestNotProfile(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("hello"), {0x1f, 0x8b, 0, 0}, {0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f}} {
		if _, err := Parse(bytes.NewReader(in)); !errors.Is(err, ErrNotProfile) {
			t.Errorf("Parse(%q) = %v, want ErrNotProfile", in, err)
		}
	}
}

// FuzzParse demands that parsing never panics; seeded with real profiles.
func FuzzParse(f *testing.F) {
	cpu, heap := realProfiles(f)
	f.Add(cpu)
	f.Add(heap)
	for _, p := range [][]byte{cpu, heap} {
		r, _ := gzip.NewReader(bytes.NewReader(p))
		var raw bytes.Buffer
		raw.ReadFrom(r)
		f.Add(raw.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(bytes.NewReader(data))
		if err == nil {
			Attrs(p)
		}
	})
}
