package goroutines

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/coroner/coroner/bundle/servicelog"
	slt "github.com/coroner/coroner/bundle/servicelog/servicelogtest"
)

// logOf puts the real crash in testdata after a service's own lines and,
// when restarts > 0, after that many SIGQUIT dumps, and wraps it as w
// stores it.
func logOf(t testing.TB, w slt.Wrapper, restarts int) []byte {
	t.Helper()
	crash, err := os.ReadFile(filepath.Join("testdata", "crash-nilmap.txt"))
	if err != nil {
		t.Fatal(err)
	}
	quit, err := os.ReadFile(filepath.Join("testdata", "sigquit.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	for range restarts {
		stderr.WriteString("level=info msg=\"listening\" addr=:8080\n")
		stderr.Write(quit)
	}
	stderr.WriteString("level=info msg=\"listening\" addr=:8080\n")
	stderr.Write(crash)
	return w.Wrap(slt.Merge([]byte("{\"level\":\"info\",\"msg\":\"served\"}\n"), stderr.Bytes(), "panic: "))
}

// TestParseLogMatchesDump: the census of a log's last traceback, in every
// host format, equals the census of the same crash output alone; restarts
// are counted and said.
func TestParseLogMatchesDump(t *testing.T) {
	crash, err := os.ReadFile(filepath.Join("testdata", "crash-nilmap.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := ParseDump(bytes.NewReader(crash), "log")
	if err != nil {
		t.Fatal(err)
	}
	wantShort, wantKey := Signature(want.Crash, crashedFrames(want))
	for _, w := range slt.Wrappers {
		for _, restarts := range []int{0, 2} {
			log := logOf(t, w, restarts)
			c, err := ParseLog(bytes.NewReader(log), int64(len(log)), "log")
			if err != nil {
				t.Fatalf("%s: %v", w.Name, err)
			}
			short, key := Signature(c.Crash, crashedFrames(c))
			if c.Total() != want.Total() || *c.Crash.Site != *want.Crash.Site || key != wantKey || short != wantShort || c.Format != "crash" {
				t.Errorf("%s, %d restarts: %d goroutines, site %+v, %s %s, format %s; want %d, %+v, %s %s",
					w.Name, restarts, c.Total(), c.Crash.Site, key, short, c.Format, want.Total(), want.Crash.Site, wantKey, wantShort)
			}
			said := strings.Contains(strings.Join(c.Warnings, "\n"), "3 tracebacks")
			if said != (restarts == 2) {
				t.Errorf("%s, %d restarts: warnings %q", w.Name, restarts, c.Warnings)
			}
		}
	}
}

func crashedFrames(c *Census) []Frame {
	for _, g := range c.Goroutines {
		if g.Crashed {
			return g.Frames
		}
	}
	return nil
}

// FuzzParseLog demands that reading a census from any log never panics
// and that an error names the file.
func FuzzParseLog(f *testing.F) {
	// The crash is small; the SIGQUIT dump of a restart is kept out of
	// the wrapped seeds so that they mutate fast, and one plain seed
	// holds its first lines before the crash.
	for _, w := range slt.Wrappers {
		f.Add(logOf(f, w, 0))
	}
	quit, err := os.ReadFile(filepath.Join("testdata", "sigquit.txt"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(append(bytes.Join(bytes.SplitAfter(quit, []byte("\n"))[:60], nil), logOf(f, slt.Wrappers[0], 0)...))
	f.Add([]byte("panic: x\n\ngoroutine 1 [running]:\nmain.main()\n\t/x.go:1 +0x1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseLog(bytes.NewReader(b), int64(len(b)), "fuzz.log")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.log") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		Group(c)
		Summarize(c)
	})
}

// TestLogParsedAsReadMatchesText: the census parsed as the log is read
// (FindLog) equals the one parsed from the traceback's kept text, in
// every host format, with and without restarts before the crash.
func TestLogParsedAsReadMatchesText(t *testing.T) {
	for _, w := range slt.Wrappers {
		for _, restarts := range []int{0, 2} {
			log := logOf(t, w, restarts)
			kept, err := servicelog.Find(bytes.NewReader(log), int64(len(log)), "log")
			if err != nil {
				t.Fatal(err)
			}
			want, err := FromLog(kept, "log")
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := FindLog(bytes.NewReader(log), int64(len(log)), "log")
			if err != nil {
				t.Fatal(err)
			}
			if parsed.Last.Sink == nil || len(parsed.Last.Chunks()) != 0 {
				t.Fatalf("%s: the traceback's text was kept", w.Name)
			}
			got, err := FromLog(parsed, "log")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s, %d restarts: parsed as read %+v\nfrom the text %+v", w.Name, restarts, got, want)
			}
		}
	}
}
