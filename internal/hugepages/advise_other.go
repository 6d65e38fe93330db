//go:build !linux

package hugepages

import "unsafe"

// advise does nothing where transparent huge pages are not Linux's.
func advise(unsafe.Pointer, uintptr) {}
