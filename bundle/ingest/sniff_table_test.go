package ingest

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/coroner/coroner/bundle"
)

// TestSniffTableOrder checks the files the table's order decides: a
// format recognized by its magic keeps its kind though unreadable (with a
// warning), one that only starts like a format falls through to the
// entries after it, and a gzip file is a profile only when it parses as
// one.
func TestSniffTableOrder(t *testing.T) {
	core, err := os.ReadFile(filepath.Join("testdata", "seed", "core"))
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.ReadFile(filepath.Join("testdata", "seed", "incidentprog"))
	if err != nil {
		t.Fatal(err)
	}
	cpu, err := os.ReadFile(filepath.Join("testdata", "seed", "cpu.pprof"))
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	g := gzip.NewWriter(&gz)
	g.Write([]byte("hello\n"))
	g.Close()
	for _, c := range []struct {
		name    string
		data    []byte
		kind    bundle.Kind
		attrs   map[string]string
		warning string // a substring of the one warning, or "" for none
	}{
		{"ELF cut before e_type", []byte("\x7fELF\x02\x01\x01"), bundle.KindOther, nil, "ELF header truncated"},
		{"core cut after its header", core[:64], bundle.KindCore, map[string]string{"elf_type": "core"}, "core recognized by its magic, but unreadable"},
		{"executable cut after its header", exe[:100], bundle.KindELF, nil, "ELF headers unreadable"},
		{"perf.data magic alone", []byte("PERFILE2garbage"), bundle.KindPerfData, nil, "perf-data recognized by its magic, but unreadable"},
		{"trace header", []byte("go 1.22 trace\x00\x00\x00"), bundle.KindTrace, map[string]string{"trace_version": "1.22"}, ""},
		{"text starting like a trace", []byte("go 1.x is not a trace\n"), bundle.KindOther, nil, ""},
		{"gzip that is no profile", gz.Bytes(), bundle.KindOther, map[string]string{"compression": "gzip"}, ""},
		{"environment block", []byte("A=1\x00B=2\x00"), bundle.KindEnviron, nil, ""},
	} {
		k, a, w := Sniff(bytes.NewReader(c.data), int64(len(c.data)))
		if k != c.kind || !reflect.DeepEqual(a, c.attrs) {
			t.Errorf("%s: sniffed %s %v, want %s %v", c.name, k, a, c.kind, c.attrs)
		}
		switch {
		case c.warning == "" && len(w) != 0:
			t.Errorf("%s: warnings %q, want none", c.name, w)
		case c.warning != "" && (len(w) != 1 || !strings.Contains(w[0], c.warning)):
			t.Errorf("%s: warnings %q, want one mentioning %q", c.name, w, c.warning)
		}
	}
	if k, a, _ := Sniff(bytes.NewReader(cpu), int64(len(cpu))); k != bundle.KindPprof || a["profile_type"] != "cpu" {
		t.Errorf("gzip-compressed CPU profile: sniffed %s %v", k, a)
	}
}
