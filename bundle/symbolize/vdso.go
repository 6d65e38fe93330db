package symbolize

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// maxVDSOSize bounds the vDSO image read from memory; it is two pages on
// today's kernels.
const maxVDSOSize = 1 << 20

// LocalVDSO returns the vDSO the running kernel maps into this process.
// Samples in a recorded process's [vdso] can be named from it only when
// its build ID equals the one perf recorded — i.e. the same kernel build —
// which the caller must check, as perf does with its build-ID cache.
func LocalVDSO() (*Binary, error) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var lo, hi uint64
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasSuffix(line, "[vdso]") {
			continue
		}
		rng, _, _ := strings.Cut(line, " ")
		a, b, _ := strings.Cut(rng, "-")
		lo, err = strconv.ParseUint(a, 16, 64)
		if err == nil {
			hi, err = strconv.ParseUint(b, 16, 64)
		}
		if err != nil {
			return nil, fmt.Errorf("/proc/self/maps: bad vdso range %q", rng)
		}
		break
	}
	if hi <= lo || hi-lo > maxVDSOSize {
		return nil, fmt.Errorf("no usable [vdso] mapping in /proc/self/maps")
	}
	mem, err := os.Open("/proc/self/mem")
	if err != nil {
		return nil, err
	}
	defer mem.Close()
	img := make([]byte, hi-lo)
	if _, err := mem.ReadAt(img, int64(lo)); err != nil {
		return nil, fmt.Errorf("reading the vdso image: %w", err)
	}
	return newBinary(bytes.NewReader(img), "[vdso]", img)
}
