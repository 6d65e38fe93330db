package hugepages

import (
	"syscall"
	"unsafe"
)

// advise marks [p, p+n), shrunk to whole pages, MADV_HUGEPAGE. An error
// (an old kernel, huge pages compiled out) leaves small pages, as before.
func advise(p unsafe.Pointer, n uintptr) {
	start := (uintptr(p) + pageSize - 1) &^ (pageSize - 1)
	end := (uintptr(p) + n) &^ (pageSize - 1)
	if end <= start {
		return
	}
	syscall.Syscall(syscall.SYS_MADVISE, start, end-start, syscall.MADV_HUGEPAGE)
}
