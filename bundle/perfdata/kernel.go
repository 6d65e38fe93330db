package perfdata

import (
	"fmt"
	"os"

	"github.com/coroner/coroner/bundle/symbolize"
)

// kernelNames names the kernel addresses of the chains from the kallsyms
// file at path (nil when path is ""). Callers' return addresses are looked
// up one byte back, at their call instruction, as kernelLoc does.
func kernelNames(path string, order []*rawStack) (map[uint64]string, error) {
	if path == "" {
		return nil, nil
	}
	var addrs []uint64
	for _, rs := range order {
		mode, first := ContextUser, true
		for _, c := range rs.chain {
			if c >= ContextMax {
				mode = c
				continue
			}
			if mode == ContextKernel {
				if first {
					addrs = append(addrs, c)
				} else {
					addrs = append(addrs, c-1)
				}
			}
			first = false
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("kallsyms: %w", err)
	}
	defer f.Close()
	return symbolize.ResolveKallsyms(f, path, addrs)
}

// framelessCache answers, per process and address, whether the function
// at a user address has not set up its frame yet.
type framelessCache struct {
	sp   *space
	res  *resolver
	seen map[[2]uint64]bool
}

func newFramelessCache(sp *space, res *resolver) *framelessCache {
	return &framelessCache{sp: sp, res: res, seen: map[[2]uint64]bool{}}
}

func (c *framelessCache) frameless(pid uint32, ip uint64) bool {
	k := [2]uint64{uint64(pid), ip}
	if v, ok := c.seen[k]; ok {
		return v
	}
	v := false
	if m := c.sp.find(pid, ip); m != nil {
		if b := c.res.binaryFor(m); b != nil {
			if va, ok := b.AddrForOffset(ip - m.start + m.pgoff); ok {
				d, ok := b.SPDelta(va)
				v = ok && d == 0
			}
		}
	}
	if len(c.seen) < maxUniqueStacks {
		c.seen[k] = v
	}
	return v
}
