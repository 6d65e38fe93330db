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

// frameCache answers, per mapping and user address, how far the function
// there has moved the stack pointer below its value at entry (the
// binary's pcsp table), for unwindFP.
type frameCache struct {
	sp   *space
	res  *resolver
	seen map[frameKey]spDelta
}

// frameKey keys frameCache by mapping, not process, so that an exec or a
// new mapping at the same address is looked up afresh.
type frameKey struct {
	m  *mapping
	ip uint64
}

// spDelta is a cached answer of frameCache: ok false when the address has
// no Go function with a pcsp table.
type spDelta struct {
	d  int
	ok bool
}

func newFrameCache(sp *space, res *resolver) *frameCache {
	return &frameCache{sp: sp, res: res, seen: map[frameKey]spDelta{}}
}

// spDelta returns the stack-pointer delta at ip in process pid; ok is
// false when no known mapping or Go function holds ip.
func (c *frameCache) spDelta(pid uint32, ip uint64) (int, bool) {
	m := c.sp.find(pid, ip)
	if m == nil {
		return 0, false
	}
	k := frameKey{m, ip}
	if v, ok := c.seen[k]; ok {
		return v.d, v.ok
	}
	var v spDelta
	if b := c.res.binaryFor(m); b != nil {
		if va, ok := b.AddrForOffset(ip - m.start + m.pgoff); ok {
			v.d, v.ok = b.SPDelta(va)
		}
	}
	if len(c.seen) < maxUniqueStacks {
		c.seen[k] = v
	}
	return v.d, v.ok
}
