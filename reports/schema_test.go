package reports

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/internal/units"
)

// TestSchemaDocumentsResult walks analyze.Result by reflection and demands
// that the schema describes every JSON field, with a description, that it
// requires exactly the fields Go always writes, and that it allows no field
// Go does not have.
func TestSchemaDocumentsResult(t *testing.T) {
	var schema map[string]any
	if err := json.Unmarshal(Schema(), &schema); err != nil {
		t.Fatal(err)
	}
	if schema["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("schema dialect is %v, want draft 2020-12", schema["$schema"])
	}
	defs := schema["$defs"].(map[string]any)
	resolve := func(node map[string]any) map[string]any {
		for node["$ref"] != nil {
			ref := node["$ref"].(string)
			name := strings.TrimPrefix(ref, "#/$defs/")
			next, ok := defs[name].(map[string]any)
			if !ok {
				t.Fatalf("dangling $ref %s", ref)
			}
			node = next
		}
		return node
	}
	seen := map[reflect.Type]bool{}
	var check func(path string, typ reflect.Type, node map[string]any)
	check = func(path string, typ reflect.Type, node map[string]any) {
		node = resolve(node)
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		switch {
		case typ == reflect.TypeOf(time.Time{}):
			if node["type"] != "string" || node["format"] != "date-time" {
				t.Errorf("%s: time must be a date-time string", path)
			}
			return
		case typ == reflect.TypeOf(analyze.Severity(0)):
			if node["enum"] == nil {
				t.Errorf("%s: severity must be an enum", path)
			}
			return
		}
		switch typ.Kind() {
		case reflect.Struct:
			if seen[typ] {
				return
			}
			seen[typ] = true
			if node["additionalProperties"] != false {
				t.Errorf("%s: object schema must set additionalProperties false", path)
			}
			props, _ := node["properties"].(map[string]any)
			var req []string
			for _, r := range node["required"].([]any) {
				req = append(req, r.(string))
			}
			var goFields, goRequired []string
			for i := 0; i < typ.NumField(); i++ {
				f := typ.Field(i)
				tag := f.Tag.Get("json")
				name, opts, _ := strings.Cut(tag, ",")
				if name == "-" || !f.IsExported() {
					continue
				}
				goFields = append(goFields, name)
				if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
					goRequired = append(goRequired, name)
				}
				p, ok := props[name].(map[string]any)
				if !ok {
					t.Errorf("%s.%s: field missing from the schema", path, name)
					continue
				}
				if p["description"] == nil && resolve(p)["description"] == nil {
					t.Errorf("%s.%s: no description", path, name)
				}
				check(path+"."+name, f.Type, p)
			}
			for name := range props {
				if !slices.Contains(goFields, name) {
					t.Errorf("%s.%s: schema field Go does not write", path, name)
				}
			}
			slices.Sort(req)
			slices.Sort(goRequired)
			if !slices.Equal(req, goRequired) {
				t.Errorf("%s: schema requires %v, Go always writes %v", path, req, goRequired)
			}
		case reflect.Slice:
			items, ok := node["items"].(map[string]any)
			if node["type"] != "array" || !ok {
				t.Errorf("%s: want an array schema with items", path)
				return
			}
			check(path+"[]", typ.Elem(), items)
		case reflect.Map:
			if node["type"] != "object" {
				t.Errorf("%s: want an object schema for a map", path)
			}
		case reflect.String:
			if node["type"] != "string" && node["enum"] == nil {
				t.Errorf("%s: want a string schema", path)
			}
		case reflect.Int, reflect.Int64:
			if node["type"] != "integer" && node["const"] == nil {
				t.Errorf("%s: want an integer schema", path)
			}
		case reflect.Float64:
			if node["type"] != "number" {
				t.Errorf("%s: want a number schema", path)
			}
		case reflect.Bool:
			if node["type"] != "boolean" {
				t.Errorf("%s: want a boolean schema", path)
			}
		default:
			t.Errorf("%s: unhandled Go kind %s", path, typ.Kind())
		}
	}
	check("result", reflect.TypeOf(analyze.Result{}), schema)
	if c := schema["properties"].(map[string]any)["schema_version"].(map[string]any)["const"]; c != float64(analyze.SchemaVersion) {
		t.Errorf("schema_version const %v, want %d", c, analyze.SchemaVersion)
	}
}

// TestSchemaRejects shows the validator is live: results that break the
// schema in different ways are refused.
func TestSchemaRejects(t *testing.T) {
	base := mustJSON(t, loadCase(t, "testdata/cases/lockwait"))
	if err := ValidateJSON(base); err != nil {
		t.Fatalf("golden result does not validate: %v", err)
	}
	for name, edit := range map[string]func(m map[string]any){
		"unknown field":      func(m map[string]any) { m["extra"] = 1 },
		"missing verdict":    func(m map[string]any) { delete(m, "verdict") },
		"bad severity":       func(m map[string]any) { m["verdict"].(map[string]any)["severity"] = "fatal" },
		"bad cause":          func(m map[string]any) { m["verdict"].(map[string]any)["cause"] = "cosmic_rays" },
		"confidence above 1": func(m map[string]any) { m["verdict"].(map[string]any)["confidence"] = 1.5 },
		"newer version":      func(m map[string]any) { m["schema_version"] = 2 },
		"bad time":           func(m map[string]any) { m["incident"].(map[string]any)["time"] = "yesterday" },
		"flame value string": func(m map[string]any) { m["flame"].(map[string]any)["value"] = "12" },
	} {
		var m map[string]any
		if err := json.Unmarshal(base, &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		if err := ValidateJSON(mustMarshal(t, m)); err == nil {
			t.Errorf("%s: validated", name)
		}
	}
}

func mustJSON(t testing.TB, r *analyze.Result) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := RenderJSON(&b, r, Options{}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEveryJSONOutputValidates renders the golden cases, the hostile
// result, the large result and an empty result and validates each.
func TestEveryJSONOutputValidates(t *testing.T) {
	results := map[string]*analyze.Result{
		"empty":   {},
		"hostile": hostileResult(t),
		"large":   largeResult(20000, 2000, 500),
	}
	for _, dir := range caseDirs(t) {
		results[dir] = loadCase(t, dir)
	}
	for name, r := range results {
		if err := ValidateJSON(mustJSON(t, r)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestEvidenceUnitsKnown demands that every figure in the golden results
// has a unit the reports format (internal/units), so no figure reaches a
// reader as a bare number in an unknown unit, and that a fact carries no
// value.
func TestEvidenceUnitsKnown(t *testing.T) {
	for _, dir := range caseDirs(t) {
		r := loadCase(t, dir)
		for _, f := range r.Findings {
			for _, e := range f.Evidence {
				if !units.Known(e.Unit) {
					t.Errorf("%s: %s %s has unit %q, which the reports do not format", dir, f.ID, e.Metric, e.Unit)
				}
				if e.Text != "" && (e.Value != 0 || e.Threshold != nil) {
					t.Errorf("%s: %s %s is a fact (%q) with a value or threshold", dir, f.ID, e.Metric, e.Text)
				}
			}
		}
	}
}
