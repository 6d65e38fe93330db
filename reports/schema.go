package reports

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed schema/result.schema.json
var schemaJSON []byte

// Schema returns the JSON Schema (draft 2020-12) that every JSON result
// follows, as shipped in reports/schema/result.schema.json.
func Schema() []byte { return bytes.Clone(schemaJSON) }

const schemaURL = "https://github.com/coroner/coroner/reports/schema/result.schema.json"

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, fmt.Errorf("result schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, fmt.Errorf("result schema: %w", err)
	}
	s, err := c.Compile(schemaURL)
	if err != nil {
		return nil, fmt.Errorf("result schema: %w", err)
	}
	return s, nil
})

// ValidateJSON checks that data is a JSON result that follows the schema.
func ValidateJSON(data []byte) error {
	s, err := compiled()
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if err := s.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return fmt.Errorf("does not follow the result schema: %s", firstLines(ve.Error(), maxSchemaErrorLines))
		}
		return fmt.Errorf("does not follow the result schema: %w", err)
	}
	return nil
}

// maxSchemaErrorLines keeps schema errors readable: the first few causes
// locate the problem; a hostile file could otherwise produce thousands.
const maxSchemaErrorLines = 8

func firstLines(s string, n int) string {
	lines := bytes.Split([]byte(s), []byte("\n"))
	if len(lines) <= n {
		return s
	}
	return string(bytes.Join(lines[:n], []byte("\n"))) + fmt.Sprintf("\n  … %d more lines", len(lines)-n)
}
