package perfdata

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

func describeFile(t *testing.T, name string) map[string]string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Describe(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		file, mode, graph, events string
	}{
		{"fp.data", "file", "fp", "cpu-clock"},
		{"pipe-fp.data", "pipe", "fp", "cpu-clock"},
		{"dwarf.data", "file", "dwarf", "cpu-clock"},
		{"two-events.data", "file", "none", "cpu-clock,task-clock"},
	} {
		m := describeFile(t, tc.file)
		if m["mode"] != tc.mode || m["call_graph"] != tc.graph {
			t.Errorf("%s: mode %q call_graph %q, want %q %q", tc.file, m["mode"], m["call_graph"], tc.mode, tc.graph)
		}
		if ev := strings.ReplaceAll(m["events"], ":ppp", ""); ev != tc.events {
			t.Errorf("%s: events %q, want %q", tc.file, m["events"], tc.events)
		}
		for _, k := range []string{"hostname", "os_release", "arch", "cmdline", "nr_cpus", "sample_type", "perf_version"} {
			if m[k] == "" {
				t.Errorf("%s: attribute %s missing: %v", tc.file, k, m)
			}
		}
		if !strings.Contains(m["cmdline"], "perf record") {
			t.Errorf("%s: cmdline %q does not name perf record", tc.file, m["cmdline"])
		}
		if tc.mode == "file" && !strings.Contains(m["build_ids"], "/busy") {
			t.Errorf("%s: build_ids %q lack the recorded binary", tc.file, m["build_ids"])
		}
	}
}

func TestDescribeBad(t *testing.T) {
	good, err := os.ReadFile("testdata/fp.data")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"empty":     nil,
		"short":     good[:10],
		"magic":     append([]byte("PERFILE1"), good[8:]...),
		"header":    good[:60],
		"attrsPast": func() []byte { b := bytes.Clone(good); le.PutUint64(b[24:], 1<<40); return b }(),
		"attrSize":  func() []byte { b := bytes.Clone(good); le.PutUint64(b[16:], 3); return b }(),
	}
	for name, b := range cases {
		_, err := Describe(bytes.NewReader(b), int64(len(b)))
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if name == "magic" && !errors.Is(err, ErrBadMagic) {
			t.Errorf("%s: %v, want ErrBadMagic", name, err)
		}
	}
}
