package goroutines

import "testing"

// multiLinePanicSrc panics with an error of two lines (errors.Join), which
// the runtime prints with a tab after the newline.
const multiLinePanicSrc = `package main

import "errors"

func main() {
	panic(errors.Join(errors.New("ledger: account 42 overdrawn"), errors.New("while settling batch 7")))
}
`

// nestedPanicSrc recovers a two-line panic and panics again while
// handling it: the runtime prints the first, marked recovered, then the
// second after a tab.
const nestedPanicSrc = `package main

func main() {
	defer func() {
		recover()
		panic("second\nvalue")
	}()
	panic("first\nvalue")
}
`

// TestMultiLinePanicValue: a panic value of several lines is read whole
// from the runtime's output, as a core gives it (_panic.arg holds the
// Error() text with its newline), so the crash has one signature whichever
// artifact shows it; a nested panic's line does not continue the first.
func TestMultiLinePanicValue(t *testing.T) {
	_, _, c := crashSignature(t, crashOutput(t, multiLinePanicSrc))
	if want := "ledger: account 42 overdrawn\nwhile settling batch 7"; c.Crash.Message != want {
		t.Errorf("message %q, want %q", c.Crash.Message, want)
	}
	_, _, c = crashSignature(t, crashOutput(t, nestedPanicSrc))
	if want := "first\nvalue"; c.Crash.Message != want {
		t.Errorf("nested panic: message %q, want %q", c.Crash.Message, want)
	}
}
