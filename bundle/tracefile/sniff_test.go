package tracefile

import (
	"bytes"
	"runtime/trace"
	"strings"
	"testing"
	"time"
)

// realTraceHead records a short execution trace of this process and
// returns its first bytes.
func realTraceHead(t testing.TB) []byte {
	var b bytes.Buffer
	if err := trace.Start(&b); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	trace.Stop()
	return b.Bytes()[:min(b.Len(), 4096)]
}

func TestVersionOfRealTrace(t *testing.T) {
	head := realTraceHead(t)
	v, err := Version(head)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v, "1.") {
		t.Errorf("version %q", v)
	}
	a, err := Describe(bytes.NewReader(head), int64(len(head)))
	if err != nil || a["trace_version"] != v {
		t.Errorf("Describe = %v, %v", a, err)
	}
	if _, err := Version([]byte("go 1.22 trace\x00\x00x")); err == nil {
		t.Error("accepted a header with junk in its padding")
	}
}

// FuzzSniffVersion demands that the header check never panics.
func FuzzSniffVersion(f *testing.F) {
	f.Add(realTraceHead(f))
	f.Add([]byte("go 1.5 trace\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		Version(data)
		Describe(bytes.NewReader(data), int64(len(data)))
	})
}
