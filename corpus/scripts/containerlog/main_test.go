package main

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// logOf runs one format over input with a fixed clock.
func logOf(t *testing.T, format, input string) string {
	t.Helper()
	var sb strings.Builder
	w := &writer{w: bufio.NewWriter(&sb), now: func() time.Time { return time.Date(2026, 5, 1, 12, 0, 0, 1500, time.UTC) }}
	var err error
	switch format {
	case "cri":
		err = w.split(strings.NewReader(input), w.cri)
	case "json-file":
		err = w.split(strings.NewReader(input), w.jsonFile)
	case "plain":
		err = w.plain(strings.NewReader(input), "svc", 0)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := w.flush(); err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

func TestCRI(t *testing.T) {
	got := logOf(t, "cri", "gc 1 @0.010s 2%: 0.1+1+0.01 ms clock\npanic: boom\n")
	want := "2026-05-01T12:00:00.0000015Z stderr F gc 1 @0.010s 2%: 0.1+1+0.01 ms clock\n" +
		"2026-05-01T12:00:00.0000015Z stderr F panic: boom\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestCRISplit checks containerd's 16 KiB partial records, including a
// line that fills its last chunk exactly and an unterminated last line.
func TestCRISplit(t *testing.T) {
	long := strings.Repeat("a", maxRecord) + strings.Repeat("b", maxRecord) + "tail"
	exact := strings.Repeat("c", maxRecord)
	got := logOf(t, "cri", long+"\n"+exact+"\nend")
	var tags, texts []string
	for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		f := strings.SplitN(l, " ", 4)
		if len(f) != 4 || f[1] != "stderr" {
			t.Fatalf("bad record %.80q", l)
		}
		tags = append(tags, f[2])
		texts = append(texts, f[3])
	}
	if strings.Join(tags, "") != "PPFFF" {
		t.Errorf("tags %v, want P P F F F", tags)
	}
	if strings.Join(texts[:3], "") != long || texts[3] != exact || texts[4] != "end" {
		t.Error("split records do not join back to the input lines")
	}
	for _, s := range texts {
		if len(s) > maxRecord {
			t.Errorf("record of %d bytes exceeds %d", len(s), maxRecord)
		}
	}
}

func TestJSONFile(t *testing.T) {
	long := strings.Repeat("x", maxRecord+10)
	got := logOf(t, "json-file", "fatal error: \"<nil>\"\t\\\n"+long+"\n")
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d records, want 3", len(lines))
	}
	if !strings.HasPrefix(lines[0], `{"log":"fatal error: \"\u003cnil\u003e\"\t\\\n","stream":"stderr","time":"2026-05-01T12:00:00.0000015Z"}`) {
		t.Errorf("first record %s", lines[0])
	}
	var recs []dockerRecord
	for _, l := range lines {
		var r dockerRecord
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	if strings.HasSuffix(recs[1].Log, "\n") || len(recs[1].Log) != maxRecord || recs[2].Log != "xxxxxxxxxx\n" {
		t.Errorf("partial records %d bytes then %q", len(recs[1].Log), recs[2].Log)
	}
}

func TestPlain(t *testing.T) {
	in := "gc 1 @0.010s 2%: 0.1+1+0.01 ms clock\nno newline at end"
	got := logOf(t, "plain", in)
	first, rest, _ := strings.Cut(got, "\n")
	var l appLine
	if err := json.Unmarshal([]byte(first), &l); err != nil || l.Msg != "service starting" || l.Service != "svc" {
		t.Errorf("first line %q (%v)", first, err)
	}
	if rest != in {
		t.Errorf("runtime output changed: %q", rest)
	}
}
