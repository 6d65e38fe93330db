package worker

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// countWorker writes the numbers 0 to N-1, one a line, then exits with
// the code it is given.
func countWorker(args []string) int {
	n, _ := strconv.Atoi(args[0])
	code, _ := strconv.Atoi(args[1])
	w := bufio.NewWriter(os.Stdout)
	for i := range n {
		fmt.Fprintln(w, i)
	}
	w.Flush()
	return code
}

func TestMain(m *testing.M) {
	Register("count", countWorker)
	Main()
	os.Exit(m.Run())
}

var lim = Limits{Memory: 256 << 20, Timeout: time.Minute}

// lines is more output than a pipe holds (64 KiB on Linux), so a reader
// that stops early would leave the child blocked without the drain.
const lines = 200_000

// TestRunWhole gathers an answer larger than a pipe.
func TestRunWhole(t *testing.T) {
	out, err := Run(context.Background(), "count", []string{strconv.Itoa(lines), "0"}, lim)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	n := 0
	for ; sc.Scan(); n++ {
		if sc.Text() != strconv.Itoa(n) {
			t.Fatalf("line %d is %q", n, sc.Text())
		}
	}
	if n != lines {
		t.Fatalf("%d lines, want %d", n, lines)
	}
}

// TestRunStreamReadsPart stops reading after the first line: the rest is
// drained and the child exits normally.
func TestRunStreamReadsPart(t *testing.T) {
	var first string
	err := RunStream(context.Background(), "count", []string{strconv.Itoa(lines), "0"}, lim, func(r io.Reader) error {
		var err error
		first, err = bufio.NewReader(r).ReadString('\n')
		return err
	})
	if err != nil || first != "0\n" {
		t.Fatalf("first line %q, error %v", first, err)
	}
}

// TestRunStreamErrors: a child's exit code is what the caller classifies
// by, even when the reader failed too; a reader's error alone is wrapped.
func TestRunStreamErrors(t *testing.T) {
	errShort := errors.New("answer too short")
	failing := func(io.Reader) error { return errShort }
	err := RunStream(context.Background(), "count", []string{"10", "3"}, lim, failing)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("child exiting 3 and a failing reader: %v, want the exit error", err)
	}
	err = RunStream(context.Background(), "count", []string{"10", "0"}, lim, failing)
	if !errors.Is(err, errShort) || errors.As(err, &ee) {
		t.Errorf("a failing reader alone: %v, want its error", err)
	}
}
