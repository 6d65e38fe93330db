package symbolize

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// maxKallsymsLine bounds one kallsyms line; real ones are under 300 bytes.
const maxKallsymsLine = 4096

// Kallsyms names kernel addresses from a /proc/kallsyms snapshot.
type Kallsyms struct {
	syms []ksym
}

type ksym struct {
	addr    uint64
	name    string
	binding int // ordering weight: weak < local < global
}

// Symbol bindings as perf ranks them when several share an address.
const (
	bindWeak = iota
	bindLocal
	bindGlobal
)

// ParseKallsyms reads "ADDR TYPE NAME [MODULE]" lines, keeping text
// symbols (types T, t, W, w). name is used in messages.
func ParseKallsyms(r io.Reader, name string) (*Kallsyms, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxKallsymsLine)
	k := &Kallsyms{}
	ln := 0
	for sc.Scan() {
		ln++
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) < 3 || len(f[1]) != 1 {
			return nil, fmt.Errorf("%s:%d: not a kallsyms line: %.80q", name, ln, line)
		}
		addr, err := strconv.ParseUint(f[0], 16, 64)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: bad address %.40q", name, ln, f[0])
		}
		var bind int
		switch f[1][0] {
		case 'T':
			bind = bindGlobal
		case 't':
			bind = bindLocal
		case 'W', 'w':
			bind = bindWeak
		default:
			continue
		}
		if addr == 0 {
			continue // kptr_restrict hides addresses: nothing to map
		}
		k.syms = append(k.syms, ksym{addr, f[2], bind})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, ln+1, err)
	}
	if len(k.syms) == 0 {
		return nil, fmt.Errorf("%s: no text symbols with addresses (kptr_restrict?)", name)
	}
	sort.SliceStable(k.syms, func(i, j int) bool { return k.syms[i].addr < k.syms[j].addr })
	k.syms = dedupe(k.syms)
	return k, nil
}

// dedupe keeps one symbol per address, choosing like perf's
// choose_best_symbol: non-weak over weak, global over local, fewer leading
// underscores, then the longer name.
func dedupe(s []ksym) []ksym {
	out := s[:0]
	for _, x := range s {
		if n := len(out); n > 0 && out[n-1].addr == x.addr {
			if better(x, out[n-1]) {
				out[n-1] = x
			}
			continue
		}
		out = append(out, x)
	}
	return out
}

func better(a, b ksym) bool {
	if (a.binding == bindWeak) != (b.binding == bindWeak) {
		return b.binding == bindWeak
	}
	if (a.binding == bindGlobal) != (b.binding == bindGlobal) {
		return a.binding == bindGlobal
	}
	ua, ub := underscores(a.name), underscores(b.name)
	if ua != ub {
		return ua < ub
	}
	return len(a.name) > len(b.name)
}

func underscores(s string) int {
	return len(s) - len(strings.TrimLeft(s, "_"))
}

// Lookup returns the kernel symbol whose range (up to the next symbol)
// holds addr.
func (k *Kallsyms) Lookup(addr uint64) (string, bool) {
	i := sort.Search(len(k.syms), func(i int) bool { return k.syms[i].addr > addr }) - 1
	if i < 0 {
		return "", false
	}
	return k.syms[i].name, true
}

// Len returns the number of text symbols kept.
func (k *Kallsyms) Len() int { return len(k.syms) }
