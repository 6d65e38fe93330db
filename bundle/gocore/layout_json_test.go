package gocore

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestLayoutsJSON: the embedded layouts.json decodes (versionLayouts
// panics otherwise), every table has its structs, sizes and variables,
// and encoding the tables again gives the file's bytes, so the file is
// what -update-layouts writes.
func TestLayoutsJSON(t *testing.T) {
	tables, err := decodeLayouts(layoutsJSON)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) == 0 {
		t.Fatal("no layout tables")
	}
	for key, vl := range tables {
		if _, ok := layoutKey(key); !ok {
			t.Errorf("table key %q is not a Go version", key)
		}
		if vl == nil || len(vl.fields) == 0 || len(vl.sizes) == 0 || len(vl.vars) == 0 {
			t.Errorf("%s: empty fields, sizes or vars", key)
		}
	}
	data, err := json.MarshalIndent(tables, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(data, '\n'), layoutsJSON) {
		t.Error("layouts.json is not in the form -update-layouts writes")
	}
}

// TestDecodeLayoutsMalformed: a damaged file is an error naming it.
func TestDecodeLayoutsMalformed(t *testing.T) {
	_, err := decodeLayouts([]byte(`{"go1.26": {"fields": 3}}`))
	if err == nil || !strings.Contains(err.Error(), "layouts.json") {
		t.Fatalf("malformed file: got error %v, want one naming layouts.json", err)
	}
}
