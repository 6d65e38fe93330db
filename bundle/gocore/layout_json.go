package gocore

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"
)

// layoutsJSON is the runtime layouts of the supported Go versions on
// amd64, keyed by layoutKey, as TestLayoutTables writes them with
// -update-layouts (go generate) from fresh builds by each toolchain.
//
//go:embed layouts.json
var layoutsJSON []byte

// versionLayouts are the layout tables of layouts.json, decoded at first
// use. The file is part of the build and TestLayoutsJSON decodes it, so
// a malformed one is a broken build: it panics.
var versionLayouts = sync.OnceValue(func() map[string]*versionLayout {
	tables, err := decodeLayouts(layoutsJSON)
	if err != nil {
		panic(err)
	}
	return tables
})

// decodeLayouts reads layout tables in layouts.json's form.
func decodeLayouts(data []byte) (map[string]*versionLayout, error) {
	var tables map[string]*versionLayout
	if err := json.Unmarshal(data, &tables); err != nil {
		return nil, fmt.Errorf("layouts.json: %w", err)
	}
	return tables, nil
}

// versionLayoutJSON is a versionLayout's form in layouts.json.
type versionLayoutJSON struct {
	Fields map[string]map[string]int64 `json:"fields"`
	Sizes  map[string]int64            `json:"sizes"`
	Vars   map[string]varRef           `json:"vars"`
}

// MarshalJSON writes vl in layouts.json's form.
func (vl *versionLayout) MarshalJSON() ([]byte, error) {
	return json.Marshal(versionLayoutJSON{Fields: vl.fields, Sizes: vl.sizes, Vars: vl.vars})
}

// UnmarshalJSON reads vl from layouts.json's form.
func (vl *versionLayout) UnmarshalJSON(data []byte) error {
	var j versionLayoutJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*vl = versionLayout{fields: j.Fields, sizes: j.Sizes, vars: j.Vars}
	return nil
}

// varRefJSON is a varRef's form in layouts.json.
type varRefJSON struct {
	Fn      string `json:"fn"`
	Ordinal int    `json:"ordinal"`
}

// MarshalJSON writes r in layouts.json's form.
func (r varRef) MarshalJSON() ([]byte, error) {
	return json.Marshal(varRefJSON{Fn: r.fn, Ordinal: r.ordinal})
}

// UnmarshalJSON reads r from layouts.json's form.
func (r *varRef) UnmarshalJSON(data []byte) error {
	var j varRefJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*r = varRef{fn: j.Fn, ordinal: j.Ordinal}
	return nil
}
