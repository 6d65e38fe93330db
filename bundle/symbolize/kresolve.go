package symbolize

import (
	"io"
	"slices"
	"sort"
)

// ResolveKallsyms names the given kernel addresses from a kallsyms stream
// in one pass, with memory proportional to the addresses rather than to
// the symbol table (a kallsyms holds 100k–300k symbols; a profile touches
// a few hundred). Each address gets the symbol perf would choose: the
// greatest start at or below it, aliases decided as in ParseKallsyms.
// Addresses below every symbol are left out of the result.
func ResolveKallsyms(r io.Reader, name string, addrs []uint64) (map[uint64]string, error) {
	targets := slices.Clone(addrs)
	slices.Sort(targets)
	targets = slices.Compact(targets)
	// cand[i] is the best symbol whose start lies in (targets[i-1],
	// targets[i]]; the best for targets[j] is then the best of cand[0..j].
	type cand struct {
		s     ksym
		name  []byte
		valid bool
	}
	cands := make([]cand, len(targets))
	err := scanKallsyms(r, name, func(s ksym, nm []byte, _ int64) error {
		i := sort.Search(len(targets), func(i int) bool { return targets[i] >= s.addr })
		if i == len(targets) {
			return nil
		}
		c := &cands[i]
		if !c.valid || s.addr > c.s.addr || s.addr == c.s.addr && better(s, c.s) {
			c.s, c.valid = s, true
			c.name = append(c.name[:0], nm...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make(map[uint64]string, len(targets))
	best := -1
	for j := range targets {
		if c := cands[j]; c.valid {
			if b := best; b < 0 || c.s.addr > cands[b].s.addr || c.s.addr == cands[b].s.addr && better(c.s, cands[b].s) {
				best = j
			}
		}
		if best >= 0 {
			out[targets[j]] = string(cands[best].name)
		}
	}
	return out, nil
}
