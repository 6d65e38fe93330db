package ingest

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/servicelog"
	slt "github.com/coroner/coroner/bundle/servicelog/servicelogtest"
	"github.com/coroner/coroner/bundle/texthead"
)

func seedFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "seed", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSniffLogs: a real service's stderr (gctrace lines, then a crash),
// as written and as each host format stores it, is a log with its crash
// found; what holds only the runtime's output keeps its kind; a log with
// no runtime output is not one coroner reads.
func TestSniffLogs(t *testing.T) {
	crash := seedFile(t, "crash.log")
	crash = crash[:bytes.LastIndexByte(crash, '\n')+1] // the seed is cut mid-line
	sniff := func(b []byte) (bundle.Kind, map[string]string) {
		k, a, _ := Sniff(bytes.NewReader(b), int64(len(b)))
		return k, a
	}
	for _, w := range slt.Wrappers {
		k, a := sniff(w.Wrap(slt.Merge([]byte("{\"level\":\"info\",\"msg\":\"up\"}\n"), crash, "panic: ")))
		if k != bundle.KindLog || a["log_format"] != w.Format || a["tracebacks"] != "1" || a["crash"] != "panic: assignment to entry in nil map" || a["gctrace_lines"] == "0" {
			t.Errorf("%s: %s %v", w.Name, k, a)
		}
	}
	i := bytes.Index(crash, []byte("panic: "))
	if k, a := sniff(crash); k != bundle.KindLog || a["log_format"] != "plain" || a["crash_offset"] != strconv.Itoa(i) {
		t.Errorf("gctrace lines then a crash at offset %d: %s %v", i, k, a)
	}
	if k, _ := sniff(crash[i:]); k != bundle.KindGoroutineDump {
		t.Errorf("the crash output alone: %s", k)
	}
	if k, _ := sniff(crash[:i]); k != bundle.KindGCTrace {
		t.Errorf("the gctrace lines alone: %s", k)
	}
	if k, _ := sniff(seedFile(t, "goroutines.txt")); k != bundle.KindGoroutineDump {
		t.Errorf("goroutines.txt: %s", k)
	}
	noise := strings.Repeat("{\"level\":\"info\",\"msg\":\"served\"}\n", 1000)
	if k, _ := sniff([]byte(noise)); k != bundle.KindOther {
		t.Errorf("a log without runtime output: %s", k)
	}
	if k, _ := sniff(slt.WrapCRI(slt.Merge([]byte(noise), nil, "panic: "), 0)); k != bundle.KindOther {
		t.Errorf("a CRI log without runtime output: %s", k)
	}
}

// TestSniffHugeLogIsBounded: sniffing a 1 GiB log reads its head and its
// tail, not the rest, and finds the crash at its end.
func TestSniffHugeLogIsBounded(t *testing.T) {
	crash := seedFile(t, "crash.log")
	tail := crash[bytes.Index(crash, []byte("panic: ")):]
	noise := []byte("{\"level\":\"info\",\"msg\":\"served\",\"path\":\"/v1/orders\"}\n" + string(crash[:bytes.IndexByte(crash, '\n')+1]))
	size := (1<<30)/int64(len(noise))*int64(len(noise)) + int64(len(tail))
	r := &countingLog{noise: noise, tail: tail, size: size}
	k, a, _ := Sniff(r, size)
	if k != bundle.KindLog || a["crash"] != "panic: assignment to entry in nil map" || a["read_from"] == "" {
		t.Fatalf("%s %v", k, a)
	}
	if limit := int64(sniffHead + texthead.MaxLine + servicelog.TailBytes + 1<<20); r.read > limit {
		t.Errorf("read %d bytes of a %d-byte log (limit %d)", r.read, size, limit)
	}
}

// countingLog repeats noise and ends with tail, generated as it is read,
// counting the bytes read.
type countingLog struct {
	noise, tail []byte
	size, read  int64
}

func (c *countingLog) ReadAt(p []byte, off int64) (int, error) {
	tailAt := c.size - int64(len(c.tail))
	n := 0
	for n < len(p) && off < c.size {
		var k int
		if off >= tailAt {
			k = copy(p[n:], c.tail[off-tailAt:])
		} else {
			i := off % int64(len(c.noise))
			k = copy(p[n:], c.noise[i:min(int64(len(c.noise)), i+tailAt-off)])
		}
		n += k
		off += int64(k)
	}
	c.read += int64(n)
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
