package gocore

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"sort"

	"github.com/coroner/coroner/bundle/elfcore"
)

// coreMem reads the dumped process's memory straight from the core file:
// PT_LOAD segments sorted by address, read with pread. Nothing is mapped
// or slurped, so memory stays small whatever the core's size.
type coreMem struct {
	f    io.ReaderAt
	segs []elfcore.Segment
	size int64
	// last is the index in segs of the segment last read.
	last int
	// viewer is f when it lends out its decoded frames (an archive's
	// member, frameViewer); views are the two frames it lent last, the
	// latest first, which serve reads without a call to f.
	viewer frameViewer
	views  [2]frameView
	// word is u64's buffer when a read must copy.
	word [8]byte
	// exe holds the executable's loaded segments: read-only data (string
	// literals such as pprof label keys) is file-backed, so the kernel
	// leaves it out of the core.
	exe []*elf.Prog
}

// addExecutable lets reads fall back to the executable's PT_LOAD segments.
func (m *coreMem) addExecutable(ef *elf.File) {
	for _, p := range ef.Progs {
		if p.Type == elf.PT_LOAD && p.Filesz > 0 {
			m.exe = append(m.exe, p)
		}
	}
}

// readExe reads b at addr from the executable, if a segment holds it.
func (m *coreMem) readExe(b []byte, addr uint64) bool {
	for _, p := range m.exe {
		if addr >= p.Vaddr && addr+uint64(len(b)) <= p.Vaddr+p.Filesz {
			_, err := p.ReadAt(b, int64(addr-p.Vaddr))
			return err == nil
		}
	}
	return false
}

// frameViewer is a core's reader that lends out the decoded frames of an
// archive's member (bundle.MemberReaderAt.View): the census makes
// millions of reads of a few bytes, and locking the member's frame cache
// for each cost more than the read.
type frameViewer interface {
	View(off int64) (b []byte, at int64, release func(), err error)
}

// frameView is a frame a frameViewer lent: the core's bytes [at,
// at+len(b)).
type frameView struct {
	b       []byte
	at      int64
	release func()
}

func newCoreMem(f io.ReaderAt, info *elfcore.Core) *coreMem {
	m := &coreMem{f: f, size: info.Size}
	m.viewer, _ = f.(frameViewer)
	for _, s := range info.Segments {
		if s.Type == 1 && s.Filesz > 0 { // PT_LOAD with bytes in the file
			m.segs = append(m.segs, s)
		}
	}
	sort.Slice(m.segs, func(i, j int) bool { return m.segs[i].Vaddr < m.segs[j].Vaddr })
	return m
}

// read fills b from address addr; it fails when any byte is not in the core.
func (m *coreMem) read(b []byte, addr uint64) error {
	for len(b) > 0 {
		s, ok := m.segment(addr)
		if !ok {
			if m.readExe(b, addr) {
				return nil
			}
			return fmt.Errorf("address %#x not in the core", addr)
		}
		n := min(uint64(len(b)), s.Vaddr+s.Filesz-addr)
		off := int64(s.Offset + addr - s.Vaddr)
		if off+int64(n) > m.size {
			return fmt.Errorf("address %#x lies in the truncated part of the core", addr)
		}
		if m.fromView(b[:n], off) {
			b, addr = b[n:], addr+n
			continue
		}
		if _, err := m.f.ReadAt(b[:n], off); err != nil {
			return fmt.Errorf("reading address %#x: %w", addr, err)
		}
		b, addr = b[n:], addr+n
	}
	return nil
}

// fromView fills b from the core's bytes at off out of a frame the reader
// lent, asking for the frame that holds off when neither kept one does.
// It returns false when the reader lends no frames, the view fails (a
// ReadAt then reports why) or b runs past the frame's end.
func (m *coreMem) fromView(b []byte, off int64) bool {
	w, ok := m.lent(off, int64(len(b)))
	copy(b, w)
	return ok
}

// lent returns the core's n bytes at off as they lie in a frame the
// reader lent (fromView's rules), without copying them.
func (m *coreMem) lent(off, n int64) ([]byte, bool) {
	if m.viewer == nil || !m.view(off) {
		return nil, false
	}
	v := &m.views[0]
	if off+n > v.at+int64(len(v.b)) {
		return nil, false
	}
	return v.b[off-v.at : off-v.at+n : off-v.at+n], true
}

// segment returns the loaded segment holding addr, trying the one read
// last first; false when no segment in the core holds it.
func (m *coreMem) segment(addr uint64) (elfcore.Segment, bool) {
	i := m.last
	if i >= len(m.segs) || addr < m.segs[i].Vaddr || addr >= m.segs[i].Vaddr+m.segs[i].Filesz {
		i = sort.Search(len(m.segs), func(i int) bool { return m.segs[i].Vaddr+m.segs[i].Filesz > addr })
		if i == len(m.segs) || m.segs[i].Vaddr > addr {
			return elfcore.Segment{}, false
		}
		m.last = i
	}
	return m.segs[i], true
}

// view makes views[0] the lent frame that holds the core's byte at off,
// asking the reader for it (and returning the older kept frame) when
// neither kept frame does; false when the view fails.
func (m *coreMem) view(off int64) bool {
	if m.views[0].holds(off) {
		return true
	}
	if m.views[1].holds(off) {
		m.views[0], m.views[1] = m.views[1], m.views[0]
		return true
	}
	w, at, release, err := m.viewer.View(off)
	if err != nil {
		return false
	}
	if m.views[1].release != nil {
		m.views[1].release()
	}
	m.views[1], m.views[0] = m.views[0], frameView{w, at, release}
	return true
}

func (v *frameView) holds(off int64) bool { return off >= v.at && off < v.at+int64(len(v.b)) }

// close returns the frames the reader lent.
func (m *coreMem) close() {
	for i := range m.views {
		if m.views[i].release != nil {
			m.views[i].release()
		}
		m.views[i] = frameView{}
	}
}

// slice reads the data pointer and length of the Go slice header at addr.
func (m *coreMem) slice(addr uint64) (ptr, n uint64, err error) {
	var b [16]byte
	if err := m.read(b[:], addr); err != nil {
		return 0, 0, err
	}
	return binary.LittleEndian.Uint64(b[:]), binary.LittleEndian.Uint64(b[8:]), nil
}

// u64 reads the little-endian word at addr: straight from a lent frame
// when one holds it, else through read into a buffer of m's own (a local
// one would escape to the heap through f.ReadAt, for each of millions of
// words).
func (m *coreMem) u64(addr uint64) (uint64, error) {
	if b, ok := m.peek(addr, 8); ok {
		return binary.LittleEndian.Uint64(b), nil
	}
	if err := m.read(m.word[:], addr); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(m.word[:]), nil
}

// peek returns the n bytes at addr without copying them, out of a frame
// the reader lent, when a single segment and frame hold them all; false
// otherwise (read copies them then). The bytes stay valid until m's next
// read or peek of another frame, which may return the frame: a caller
// that reads more of the core while using them copies them first.
func (m *coreMem) peek(addr, n uint64) ([]byte, bool) {
	if m.viewer == nil {
		return nil, false
	}
	s, ok := m.segment(addr)
	if !ok || addr+n > s.Vaddr+s.Filesz {
		return nil, false
	}
	off := int64(s.Offset + addr - s.Vaddr)
	if off+int64(n) > m.size {
		return nil, false
	}
	return m.lent(off, int64(n))
}
