package main

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestJSONLineHostileText: terminal escapes, a bell, a NUL and invalid
// UTF-8 in a file name still give one valid JSON object per line.
func TestJSONLineHostileText(t *testing.T) {
	name := "core\x1b[31m\a\x00\xff\xfe.dump\n"
	var b bytes.Buffer
	writeJSONLine(&b, "level", "warning", "input", name, "exit_code", 3)
	line := b.Bytes()
	if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' {
		t.Fatalf("not one line: %q", line)
	}
	var got struct {
		Level    string `json:"level"`
		Input    string `json:"input"`
		ExitCode int    `json:"exit_code"`
	}
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatalf("invalid JSON %q: %v", line, err)
	}
	if want := "core\x1b[31m\a\x00\ufffd\ufffd.dump\n"; got.Input != want || got.Level != "warning" || got.ExitCode != 3 {
		t.Errorf("decoded %+v, want input %q", got, want)
	}
	if !bytes.HasPrefix(line, []byte(`{"level":"warning","input":`)) {
		t.Errorf("keys out of order: %s", line)
	}
}
