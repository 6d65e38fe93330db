package goroutines

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
	"testing/iotest"
)

// TestBlockLines reads texts whose lines cross block boundaries, end in
// "\r\n" or no newline at all, through a reader that gives one byte at a
// time and through a whole one, into blocks of their own and into one
// reused buffer, and compares with bufio.Scanner's lines.
func TestBlockLines(t *testing.T) {
	long := strings.Repeat("x", blockSize+17)
	var many strings.Builder
	for i := 0; many.Len() < 3*blockSize; i++ {
		many.WriteString(strings.Repeat("ab", i%300))
		many.WriteString("\r\n")
	}
	for name, text := range map[string]string{
		"empty":        "",
		"one":          "goroutine 1 [running]:",
		"newline":      "a\nb\n",
		"blank lines":  "\n\n\na\n\n",
		"crlf":         "a\r\nb\r\n",
		"long line":    "a\n" + long + "\nb",
		"many blocks":  many.String(),
		"block border": strings.Repeat("y", blockSize-1) + "\nz\n",
	} {
		t.Run(name, func(t *testing.T) {
			var want []string
			sc := bufio.NewScanner(strings.NewReader(text))
			sc.Buffer(nil, maxLine+1)
			for sc.Scan() {
				want = append(want, sc.Text())
			}
			for _, src := range []*blockLines{
				newBlockLines(strings.NewReader(text)), newBlockLines(iotest.OneByteReader(strings.NewReader(text))),
				newTransientBlockLines(strings.NewReader(text)), newTransientBlockLines(iotest.OneByteReader(strings.NewReader(text))),
			} {
				got, size, lastNL := drain(t, src)
				if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
					t.Fatalf("%d lines, want %d", len(got), len(want))
				}
				if size != int64(len(text)) {
					t.Errorf("size %d, want %d", size, len(text))
				}
				if wantNL := text == "" || strings.HasSuffix(text, "\n"); len(text) > 0 && lastNL != wantNL {
					t.Errorf("lastNL %v, want %v", lastNL, wantNL)
				}
			}
		})
	}
}

// TestBlockLinesTooLong refuses a line longer than maxLine.
func TestBlockLinesTooLong(t *testing.T) {
	lines := newBlockLines(bytes.NewReader(bytes.Repeat([]byte("x"), maxLine+blockSize+1)))
	if _, err := lines.next(); err == nil {
		t.Fatal("a line longer than maxLine was read")
	}
}
