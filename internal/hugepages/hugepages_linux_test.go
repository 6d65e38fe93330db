package hugepages

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// TestAdviseMarksTheMapping: after Advise, the kernel lists the mapping
// that holds a large slice with the "hg" flag (MADV_HUGEPAGE) in
// /proc/self/smaps.
func TestAdviseMarksTheMapping(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skip("the kernel has no transparent huge pages:", err)
	}
	big := make([]uint64, 4*minBytes/8)
	Advise(big)
	if !advised(t, uintptr(unsafe.Pointer(&big[len(big)/2]))) {
		t.Error("the mapping under a 32 MiB slice is not marked for huge pages")
	}
}

// TestPrefaultBacksThePages: after Prefault, the kernel backs every page
// of memory never touched before (a fresh anonymous mapping, whose Rss
// grows by its size) though nothing was written to it but zeros.
func TestPrefaultBacksThePages(t *testing.T) {
	const size = 32 << 20
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		t.Skip("no anonymous mapping:", err)
	}
	defer syscall.Munmap(b)
	addr := uintptr(unsafe.Pointer(&b[0]))
	before := smapsField(t, addr, "Rss:")
	Prefault(b)
	after := smapsField(t, addr, "Rss:")
	if after-before < size {
		t.Errorf("the mapping's Rss grew by %d KiB after prefaulting %d KiB", (after-before)>>10, size>>10)
	}
}

// advised reports whether the mapping holding addr has VmFlags "hg".
func advised(t *testing.T, addr uintptr) bool {
	t.Helper()
	return strings.Contains(smapsLine(t, addr, "VmFlags:")+" ", " hg ")
}

// smapsField returns the size in bytes that /proc/self/smaps gives in
// field (a "kB" line such as "Rss:") of the mapping holding addr.
func smapsField(t *testing.T, addr uintptr, field string) int64 {
	t.Helper()
	f := strings.Fields(smapsLine(t, addr, field))
	if len(f) != 3 || f[2] != "kB" {
		t.Fatalf("smaps %s line %q", field, f)
	}
	kb, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return kb << 10
}

// smapsLine returns the line starting with field of the mapping of
// /proc/self/smaps that holds addr.
func smapsLine(t *testing.T, addr uintptr, field string) string {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := sc.Text()
		if lo, hi, ok := mappingRange(line); ok {
			in = addr >= lo && addr < hi
			continue
		}
		if in && strings.HasPrefix(line, field) {
			return line
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Fatalf("no mapping of /proc/self/smaps holds %#x with %s", addr, field)
	return ""
}

// mappingRange parses a smaps header line "lo-hi perms …".
func mappingRange(line string) (lo, hi uintptr, ok bool) {
	span, _, found := strings.Cut(line, " ")
	l, h, dash := strings.Cut(span, "-")
	if !found || !dash {
		return 0, 0, false
	}
	a, err1 := strconv.ParseUint(l, 16, 64)
	b, err2 := strconv.ParseUint(h, 16, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return uintptr(a), uintptr(b), true
}
