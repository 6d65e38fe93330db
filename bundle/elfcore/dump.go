package elfcore

import (
	"fmt"
	"io"
	"strconv"
)

// WriteText writes a human-readable dump of what Parse read: the process,
// threads, fatal signal, segments and mapped files, one fact per line.
// Paths and names from the core are quoted when they hold anything but
// printable text.
func (c *Core) WriteText(w io.Writer) error {
	q := func(s string) string {
		if strconv.CanBackquote(s) {
			return s
		}
		return strconv.Quote(s)
	}
	var err error
	p := func(format string, args ...any) {
		if err == nil {
			_, err = fmt.Fprintf(w, format, args...)
		}
	}
	p("core %s, %d of %d bytes", c.Machine, c.Size, c.Want)
	if c.Truncated() {
		p(" (truncated: %d bytes missing)", c.Want-c.Size)
	}
	p("\nprocess pid=%d exe=%s args=%s\n", c.PID, q(c.Exe), q(c.Args))
	if s := c.Signal(); s != 0 {
		p("signal %s", SignalName(s))
		if c.Siginfo != nil {
			p(" code=%d addr=%#x", c.Siginfo.Code, c.Siginfo.Addr)
			if c.Siginfo.PID >= 0 {
				p(" sender=%d", c.Siginfo.PID)
			}
		}
		p("\n")
	}
	for _, t := range c.Threads {
		p("thread tid=%d cursig=%d pc=%#x sp=%#x bp=%#x\n", t.TID, t.Signal, t.PC, t.SP, t.BP)
	}
	for _, s := range c.Segments {
		p("segment type=%d flags=%#x offset=%#x vaddr=%#x filesz=%#x memsz=%#x\n", s.Type, s.Flags, s.Offset, s.Vaddr, s.Filesz, s.Memsz)
	}
	for _, m := range c.Mappings {
		p("mapping %#x-%#x offset=%#x %s", m.Start, m.End, m.Offset, q(m.Path))
		if m.BuildID != "" {
			p(" build_id=%s", m.BuildID)
		}
		p("\n")
	}
	for _, wmsg := range c.Warnings {
		p("warning %s\n", q(wmsg))
	}
	return err
}
