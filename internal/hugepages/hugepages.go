// Package hugepages asks the kernel to back a large, freshly allocated
// slice with transparent huge pages.
//
// The census of a million goroutines fills a few arrays of a hundred MiB
// or more each, page by page, once. Every first touch of a 4 KiB page is
// a page fault, and a fault costs microseconds — far more than writing
// the page, and more still in a virtual machine. A 2 MiB huge page takes
// one fault for 512 small ones. Linux backs memory with huge pages on
// fault where transparent_hugepage is "always", or is "madvise" and the
// range was advised MADV_HUGEPAGE (mm/huge_memory.c); most distributions
// ship "madvise", where Go's heap gets small pages, so the arrays are
// advised here. Where huge pages are off, or on other systems, this does
// nothing.
package hugepages

import "unsafe"

// pageSize is the base page size: madvise's range is aligned to it, and
// Prefault touches one byte in each.
const pageSize = 4096

// minBytes is the smallest slice worth advising: below a few huge pages
// the faults saved do not pay for the system call.
const minBytes = 8 << 20

// Advise asks for huge pages under s's backing array (its whole
// capacity) where it is at least minBytes long. Call it right after make,
// before the pages are touched; memory already touched keeps its pages.
func Advise[T any](s []T) {
	if p, n := backing(s); n >= minBytes {
		advise(p, n)
	}
}

// Prefault touches every page of s's backing array (its whole capacity),
// so that the kernel backs and zeroes it now, on the calling goroutine,
// rather than page by page when it is first written. It writes zeros over
// zeros: s must not be in use yet.
func Prefault[T any](s []T) {
	p, n := backing(s)
	if n == 0 {
		return
	}
	b := unsafe.Slice((*byte)(p), n)
	for i := 0; i < len(b); i += pageSize {
		b[i] = 0
	}
}

// backing returns where s's backing array starts and its size in bytes,
// its whole capacity.
func backing[T any](s []T) (unsafe.Pointer, uintptr) {
	var zero T
	return unsafe.Pointer(unsafe.SliceData(s[:cap(s)])), uintptr(cap(s)) * unsafe.Sizeof(zero)
}
