package servicelog

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// inflate returns the runtime's traceback tb with its first parked
// goroutine's block repeated until the traceback is longer than size: the
// traceback of a service with that many more goroutines, as the runtime
// prints it.
func inflate(t *testing.T, tb []byte, size int) []byte {
	t.Helper()
	start := bytes.Index(tb, []byte("\ngoroutine "))
	if start < 0 {
		t.Fatalf("no goroutine header in:\n%.2000s", tb)
	}
	start++
	block := tb[start:]
	// The first goroutine block after the crashed one: a parked one.
	next := bytes.Index(block[1:], []byte("\n\ngoroutine "))
	if next < 0 {
		t.Fatal("a single goroutine in the traceback")
	}
	first := block[:next+3]
	rest := block[next+3:]
	end := bytes.Index(rest, []byte("\n\n"))
	parked := rest[:end+2]
	var out bytes.Buffer
	out.Write(tb[:start])
	out.Write(first)
	for out.Len() < size {
		out.Write(parked)
	}
	out.Write(rest)
	return out.Bytes()
}

// TestTracebackBeyondTail: a crash whose traceback is longer than
// TailBytes, after 1 GiB of application lines, is found by its first line
// (which says what happened), kept up to MaxTraceback and marked cut,
// rather than read from its last part, which under GOTRACEBACK=crash is
// another thread's "SIGQUIT: quit" dump.
func TestTracebackBeyondTail(t *testing.T) {
	exe := build(t, manySrc)
	for _, level := range []string{"all", "crash"} {
		t.Run(level, func(t *testing.T) {
			cmd := exec.Command(exe, "crash")
			cmd.Env = append(os.Environ(), "GOTRACEBACK="+level)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if cmd.Run() == nil {
				t.Fatal("program did not crash")
			}
			tb := inflate(t, stderr.Bytes(), TailBytes+TailBytes/2)
			noise := []byte(jsonNoise(1) + "\n")
			v := &virtualLog{noise: noise, tail: tb, size: (1<<30)/int64(len(noise))*int64(len(noise)) + int64(len(tb))}
			f, err := Find(v, v.size, "huge")
			if err != nil {
				t.Fatal(err)
			}
			first := string(tb[:bytes.IndexByte(tb, '\n')])
			if f.Last == nil || f.Last.Line != first || !f.Last.Cut || f.Last.Offset != v.size-int64(len(tb)) {
				t.Fatalf("last traceback %+v, want %q at %d, cut", f.Last, first, v.size-int64(len(tb)))
			}
			if text := f.Last.Text(); len(text) > MaxTraceback || !bytes.HasPrefix(tb, text) {
				t.Errorf("kept %d bytes, not the traceback's first %d", len(text), MaxTraceback)
			}
			if v.lowest > v.size-int64(len(tb)) || v.lowest < v.size-maxBackRead {
				t.Errorf("read back to %d; the traceback starts at %d", v.lowest, v.size-int64(len(tb)))
			}
		})
	}
}
