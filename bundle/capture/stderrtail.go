package capture

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/coroner/coroner/bundle"
)

// maxStderrTail bounds how much of a --pid target's stderr file is taken.
// A gctrace line is about 150 bytes and a busy service collects a few
// times a second, so 8 MiB holds ~50,000 cycles — hours of GC history —
// and room for the runtime's own output after them.
const maxStderrTail = 8 << 20

// openStderr opens a --pid target's stderr when it is a regular file (a
// service started with 2>>file, or under a supervisor that logs to one),
// at the start of the capture so that it stays readable after the process
// dies. Otherwise it returns why not.
func openStderr(pid int) (*os.File, string) {
	p := fmt.Sprintf("/proc/%d/fd/2", pid)
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Sprintf("stderr (%s) not readable: %v", p, err)
	}
	if !st.Mode().IsRegular() {
		what, _ := os.Readlink(p)
		return nil, fmt.Sprintf("stderr is %s, not a regular file; only a file can be read back", describeFD(what, st.Mode()))
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Sprintf("stderr (%s) not readable: %v", p, err)
	}
	return f, ""
}

// takeStderrTail copies the end of a --pid target's stderr file through the
// same splitter as an --exec target's stderr: gctrace lines to one staged
// file, everything else to another.
func takeStderrTail(f *os.File, dir string) (*lineSplitter, string) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Sprintf("stderr: %v", err)
	}
	split, err := newLineSplitter(dir)
	if err != nil {
		return nil, fmt.Sprintf("staging directory %s: %v", dir, err)
	}
	if err := copyTail(split, f, st.Size(), maxStderrTail); err != nil {
		split.err = fmt.Errorf("reading stderr: %w", err)
	}
	return split, ""
}

// copyTail writes the last limit bytes of the size bytes of f to w, from
// the first whole line on when the tail starts mid-file. The file may grow
// while it is read; what was written after the stat is left for next time.
func copyTail(w io.Writer, f *os.File, size, limit int64) error {
	start := max(0, size-limit)
	r := bufio.NewReader(io.NewSectionReader(f, start, size-start))
	if start > 0 {
		for {
			_, err := r.ReadSlice('\n')
			if err == nil {
				break
			}
			if err != bufio.ErrBufferFull {
				return nil // no line ends in the tail: nothing whole to take
			}
		}
	}
	_, err := io.Copy(w, r)
	return err
}

// describeFD names what a descriptor is, from its link and mode.
func describeFD(link string, mode os.FileMode) string {
	switch {
	case mode&os.ModeNamedPipe != 0:
		return "a pipe (" + link + ")"
	case mode&os.ModeSocket != 0:
		return "a socket (" + link + ", e.g. the journal)"
	case mode&os.ModeCharDevice != 0:
		return "a terminal or device (" + link + ")"
	}
	return link
}

// recordStderr records the gctrace and stderr steps: from the split stderr,
// or skipped for why.
func recordStderr(rec *recorder, split *lineSplitter, why string) {
	if split == nil {
		rec.add(bundle.CaptureStep{Name: "gctrace", Status: StatusSkipped, Reason: why})
		rec.add(bundle.CaptureStep{Name: "stderr", Status: StatusSkipped, Reason: why})
		return
	}
	finishStderr(rec, split)
}
