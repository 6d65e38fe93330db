package elfcore

import (
	"errors"
	"fmt"
	"io"
)

// Core is what coroner learns from a core file's headers and notes.
type Core struct {
	Machine  string    `json:"machine"` // "amd64", "arm64" or "elf-machine-N"
	Segments []Segment `json:"-"`
	// Exe is pr_fname (at most 15 bytes), Args pr_psargs (at most 79).
	Exe  string `json:"exe,omitempty"`
	Args string `json:"args,omitempty"`
	PID  int    `json:"pid,omitempty"`
	// Threads lists NT_PRSTATUS notes; the first is the thread that took the
	// fatal signal.
	Threads  []Thread  `json:"threads"`
	Siginfo  *Siginfo  `json:"siginfo,omitempty"`
	Mappings []Mapping `json:"mappings,omitempty"`
	// Size is the file's length; Want the length its segments need.
	Size int64 `json:"size"`
	Want int64 `json:"want"`
	// Warnings note damaged parts that were skipped.
	Warnings []string `json:"warnings,omitempty"`
}

// Truncated reports whether segments extend past the end of the file.
func (c *Core) Truncated() bool { return c.Want > c.Size }

// Signal returns the fatal signal number: NT_SIGINFO's when present, else
// the crashing thread's pr_cursig, else 0.
func (c *Core) Signal() int {
	if c.Siginfo != nil && c.Siginfo.Signo != 0 {
		return c.Siginfo.Signo
	}
	for _, t := range c.Threads {
		if t.Signal != 0 {
			return t.Signal
		}
	}
	return 0
}

// ExePath returns the NT_FILE path of the main executable: the mapping
// whose name ends in pr_fname, else the first mapping at file offset 0.
func (c *Core) ExePath() string {
	var first string
	for _, m := range c.Mappings {
		if m.Offset != 0 {
			continue
		}
		if first == "" {
			first = m.Path
		}
		if c.Exe != "" && baseName(m.Path) == c.Exe || len(c.Exe) == 15 && len(baseName(m.Path)) > 15 && baseName(m.Path)[:15] == c.Exe {
			return m.Path
		}
	}
	return first
}

// ExeMapping returns the first mapping of the executable, if known.
func (c *Core) ExeMapping() (Mapping, bool) {
	p := c.ExePath()
	for _, m := range c.Mappings {
		if m.Path == p && m.Offset == 0 {
			return m, true
		}
	}
	return Mapping{}, false
}

func baseName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

// Parse reads a core's headers and notes. It fails only when the input is
// not a core or its note segment is unusable; a truncated file is reported
// through Truncated and Want, and damaged notes through Warnings.
func Parse(r io.ReaderAt, size int64) (*Core, error) {
	h, err := readHeader(r, size)
	if err != nil {
		return nil, err
	}
	segs, err := readSegments(r, size, h)
	if err != nil {
		return nil, err
	}
	c := &Core{Machine: machineName(h.machine), Segments: segs, Size: size, Want: size}
	notes := 0
	for i, s := range segs {
		if end := int64(s.Offset + s.Filesz); s.Offset+s.Filesz <= 1<<62 && end > c.Want {
			c.Want = end
		}
		if s.Type != ptNote {
			continue
		}
		notes++
		end := min(s.Offset+s.Filesz, uint64(size))
		if s.Offset >= uint64(size) {
			c.Warnings = append(c.Warnings, fmt.Sprintf("note segment %d at offset %#x lies past end of file", i, s.Offset))
			continue
		}
		it := &noteIter{r: r, h: h, off: int64(s.Offset), end: int64(end), where: fmt.Sprintf("note segment %d", i)}
		if err := c.readNotes(it, h); err != nil {
			c.Warnings = append(c.Warnings, err.Error())
		}
	}
	if notes == 0 {
		return c, fmt.Errorf("core has no PT_NOTE segment: no threads or process info to read")
	}
	c.findBuildIDs(r, size)
	return c, nil
}

// readNotes decodes the notes of one segment into c.
func (c *Core) readNotes(it *noteIter, h *header) error {
	for {
		n, err := it.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if n.name != "CORE" {
			continue
		}
		switch n.typ {
		case ntPrstatus:
			b, err := n.desc(it.r, maxSmallNote)
			if err != nil {
				return err
			}
			t, err := decodePrstatus(b, h)
			if err != nil {
				return fmt.Errorf("offset %#x: %w", n.descOff, err)
			}
			c.Threads = append(c.Threads, t)
		case ntPrpsinfo:
			b, err := n.desc(it.r, maxSmallNote)
			if err != nil {
				return err
			}
			if c.Exe, c.Args, c.PID, err = decodePrpsinfo(b, h.order); err != nil {
				return fmt.Errorf("offset %#x: %w", n.descOff, err)
			}
		case ntSiginfo:
			b, err := n.desc(it.r, maxSmallNote)
			if err != nil {
				return err
			}
			si, err := decodeSiginfo(b, h.order)
			if err != nil {
				return fmt.Errorf("offset %#x: %w", n.descOff, err)
			}
			c.Siginfo = &si
		case ntFile:
			b, err := n.desc(it.r, maxFileNote)
			if err != nil {
				c.Warnings = append(c.Warnings, err.Error())
				continue
			}
			maps, err := decodeFile(b, h.order)
			c.Mappings = maps
			if err != nil {
				c.Warnings = append(c.Warnings, fmt.Sprintf("offset %#x: %v", n.descOff, err))
			}
		}
	}
}

func machineName(m uint16) string {
	switch m {
	case emX86_64:
		return "amd64"
	case emAARCH64:
		return "arm64"
	}
	return fmt.Sprintf("elf-machine-%d", m)
}

// Validate checks a core strictly before a debugger reads it: it must parse,
// carry at least one thread, and not be truncated. The parsed core is
// returned even with an error (a *TruncatedError, or a note problem) when
// the headers could be read, so callers can still report what is known.
func Validate(r io.ReaderAt, size int64) (*Core, error) {
	c, err := Parse(r, size)
	if err != nil {
		return c, err
	}
	if len(c.Warnings) > 0 {
		return c, fmt.Errorf("core notes damaged: %s", c.Warnings[0])
	}
	if len(c.Threads) == 0 {
		return c, errors.New("core has no NT_PRSTATUS note: no thread registers")
	}
	for i, s := range c.Segments {
		if s.Type == ptLoad && s.Filesz > s.Memsz {
			return c, fmt.Errorf("load segment %d at vaddr %#x: file size %#x exceeds memory size %#x", i, s.Vaddr, s.Filesz, s.Memsz)
		}
	}
	if c.Truncated() {
		return c, &TruncatedError{Have: c.Size, Want: c.Want}
	}
	return c, nil
}
