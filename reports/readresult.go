package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/coroner/coroner/analyze"
)

// MaxResultBytes bounds how much ReadResult reads. A result holds findings,
// the pruned views and the inventory, not the artifacts themselves: the
// largest benchmark incident's result is a few MiB, so 256 MiB leaves two
// orders of magnitude of room while keeping memory bounded.
const MaxResultBytes = 256 << 20

// ReadResult reads a JSON result written by RenderJSON (or coroner analyze),
// checks it against the result schema and decodes it. Results from a newer
// schema version are rejected rather than misread.
func ReadResult(r io.Reader) (*analyze.Result, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxResultBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading result: %w", err)
	}
	if len(data) > MaxResultBytes {
		return nil, fmt.Errorf("result is larger than %d bytes", MaxResultBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("result is empty")
	}
	var head struct {
		SchemaVersion *int `json:"schema_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, jsonError(data, err)
	}
	if head.SchemaVersion == nil {
		return nil, errors.New("not a coroner result: no schema_version")
	}
	if v := *head.SchemaVersion; v > analyze.SchemaVersion || v < 1 {
		return nil, fmt.Errorf("result schema_version %d is not supported (this coroner reads 1 to %d)", v, analyze.SchemaVersion)
	}
	if err := ValidateJSON(data); err != nil {
		return nil, err
	}
	var res analyze.Result
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil {
		return nil, jsonError(data, err)
	}
	if res.Flame != nil && res.FlameUnit == "" {
		// Results written before the cpu analyzer named its unit held
		// CPU nanoseconds: it converts every sample to them.
		res.FlameUnit = "ns"
	}
	return &res, nil
}

// jsonError adds the byte offset to JSON syntax and type errors.
func jsonError(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at offset %#x: %w", se.Offset, err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("JSON value at offset %#x: %w", te.Offset, err)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("JSON ends early after %d bytes: %w", len(data), err)
	}
	return fmt.Errorf("decoding result: %w", err)
}
