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

func newCoreMem(f io.ReaderAt, info *elfcore.Core) *coreMem {
	m := &coreMem{f: f, size: info.Size}
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
		i := sort.Search(len(m.segs), func(i int) bool { return m.segs[i].Vaddr+m.segs[i].Filesz > addr })
		if i == len(m.segs) || m.segs[i].Vaddr > addr {
			if m.readExe(b, addr) {
				return nil
			}
			return fmt.Errorf("address %#x not in the core", addr)
		}
		s := m.segs[i]
		n := min(uint64(len(b)), s.Vaddr+s.Filesz-addr)
		off := int64(s.Offset + addr - s.Vaddr)
		if off+int64(n) > m.size {
			return fmt.Errorf("address %#x lies in the truncated part of the core", addr)
		}
		if _, err := m.f.ReadAt(b[:n], off); err != nil {
			return fmt.Errorf("reading address %#x: %w", addr, err)
		}
		b, addr = b[n:], addr+n
	}
	return nil
}

// slice reads the data pointer and length of the Go slice header at addr.
func (m *coreMem) slice(addr uint64) (ptr, n uint64, err error) {
	var b [16]byte
	if err := m.read(b[:], addr); err != nil {
		return 0, 0, err
	}
	return binary.LittleEndian.Uint64(b[:]), binary.LittleEndian.Uint64(b[8:]), nil
}

func (m *coreMem) u64(addr uint64) (uint64, error) {
	var b [8]byte
	if err := m.read(b[:], addr); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}
