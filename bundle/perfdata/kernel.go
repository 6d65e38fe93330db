package perfdata

import (
	"fmt"
	"os"

	"github.com/coroner/coroner/bundle/symbolize"
)

// loadKallsyms parses the kallsyms file at path, if any. The returned
// close releases the file the symbol names are read from.
func loadKallsyms(path string) (*symbolize.Kallsyms, func(), error) {
	if path == "" {
		return nil, func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("kallsyms: %w", err)
	}
	ks, err := symbolize.ParseKallsyms(f, path)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return ks, func() { f.Close() }, nil
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
