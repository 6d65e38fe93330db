//go:build unix

package symbolize

import (
	"os"
	"syscall"
)

// mapFile maps f read-only, so large tables (a big service's pclntab runs to
// tens of MiB) are paged in as looked up instead of copied to the heap.
func mapFile(f *os.File) ([]byte, func()) {
	st, err := f.Stat()
	if err != nil || st.Size() <= 0 || st.Size() != int64(int(st.Size())) {
		return nil, nil
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil
	}
	return b, func() { syscall.Munmap(b) }
}
