package goroutines

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// scribbleLines gives each line in one buffer that the next call
// overwrites with garbage first: a parser that keeps part of a line
// without copying it shows the garbage in its census.
type scribbleLines struct {
	lines []string
	buf   []byte
	n     int
	size  int64
}

func (s *scribbleLines) next() (string, error) {
	for i := range s.buf {
		s.buf[i] = '#'
	}
	if s.n == len(s.lines) {
		return "", io.EOF
	}
	l := s.lines[s.n]
	s.n++
	s.size += int64(len(l)) + 1
	if cap(s.buf) < len(l) {
		s.buf = make([]byte, len(l))
	}
	s.buf = s.buf[:len(l)]
	copy(s.buf, l)
	if len(l) == 0 {
		return "", nil
	}
	return unsafe.String(&s.buf[0], len(l)), nil
}

func (s *scribbleLines) read() (int64, bool) { return s.size, true }

// TestParserCopiesWhatItKeeps: the traceback parser's census of real
// crash, SIGQUIT and debug=2 output, and of a multi-line panic value, is
// the same when every line it was given is overwritten after it returns.
func TestParserCopiesWhatItKeeps(t *testing.T) {
	texts := map[string][]byte{"multi-line panic": crashOutput(t, multiLinePanicSrc)}
	for _, name := range []string{"crash-nilderef.txt", "crash-nilmap.txt", "sigquit.txt", "debug2.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		texts[name] = b
	}
	for name, text := range texts {
		t.Run(name, func(t *testing.T) {
			want, err := parseTraceback(&chunkLines{chunks: []string{string(text)}}, name)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
			got, err := parseTraceback(&scribbleLines{lines: lines}, name)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Goroutines) == 0 || !reflect.DeepEqual(got, want) {
				t.Errorf("census differs once lines are overwritten:\ngot  %+v\ncrash %+v\nwant %+v\ncrash %+v", got.Goroutines[:min(3, len(got.Goroutines))], got.Crash, want.Goroutines[:min(3, len(want.Goroutines))], want.Crash)
			}
		})
	}
}
