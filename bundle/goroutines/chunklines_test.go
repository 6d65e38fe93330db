package goroutines

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

// TestChunkLines reads texts split into chunks of whole lines (as a
// service log's traceback is gathered), with empty chunks and a last line
// without a newline, and compares lines, size and the last newline with
// blockLines over the joined text.
func TestChunkLines(t *testing.T) {
	for name, chunks := range map[string][]string{
		"none":        nil,
		"empty":       {"", ""},
		"one":         {"goroutine 1 [running]:\n"},
		"several":     {"a\nb\n", "", "c\r\n\n", "d\n"},
		"no newline":  {"a\n", "b"},
		"blank lines": {"\n\n", "\n"},
	} {
		t.Run(name, func(t *testing.T) {
			joined := strings.Join(chunks, "")
			want, wantSize, wantNL := drain(t, newBlockLines(strings.NewReader(joined)))
			saved := slices.Clone(chunks)
			got, size, nl := drain(t, &chunkLines{chunks: chunks})
			if !slices.Equal(got, want) || size != wantSize || nl != wantNL {
				t.Errorf("got %q (%d bytes, last newline %v), want %q (%d, %v)", got, size, nl, want, wantSize, wantNL)
			}
			if !slices.Equal(chunks, saved) {
				t.Errorf("reading changed the chunks: %q, was %q", chunks, saved)
			}
		})
	}
}

func drain(t *testing.T, src lineSource) ([]string, int64, bool) {
	t.Helper()
	var lines []string
	for {
		line, err := src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		// A copy: a transient source's line is overwritten by the next.
		lines = append(lines, strings.Clone(line))
	}
	size, nl := src.read()
	return lines, size, nl
}
