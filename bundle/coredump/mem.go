package coredump

import (
	"encoding/binary"
	"fmt"
	"os"
	"sort"

	"github.com/coroner/coroner/bundle/corefile"
)

// coreMem reads the dumped process's memory straight from the core file:
// PT_LOAD segments sorted by address, read with pread. Nothing is mapped
// or slurped, so memory stays small whatever the core's size.
type coreMem struct {
	f    *os.File
	segs []corefile.Segment
	size int64
}

func newCoreMem(f *os.File, info *corefile.Core) *coreMem {
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

func (m *coreMem) u64(addr uint64) (uint64, error) {
	var b [8]byte
	if err := m.read(b[:], addr); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}
