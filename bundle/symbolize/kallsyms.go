package symbolize

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
)

// maxKallsymsLine bounds one kallsyms line; real ones are under 300 bytes.
const maxKallsymsLine = 4096

// Kallsyms names kernel addresses from a /proc/kallsyms snapshot.
type Kallsyms struct {
	syms  []ksym
	names []byte // all kept names, back to back; nil when read from file
	file  io.ReaderAt
}

type ksym struct {
	addr       uint64
	off        uint32 // name in Kallsyms.names, or in the file
	n          uint16
	binding    uint8 // ordering weight: weak < local < global
	underscore uint8 // leading underscores, for choosing among aliases
}

// Symbol bindings as perf ranks them when several share an address.
const (
	bindWeak = iota
	bindLocal
	bindGlobal
)

// maxKallsymsNames bounds the bytes of kept names; a distribution kernel
// with every module loaded holds about 8 MiB.
const maxKallsymsNames = 256 << 20

// ParseKallsyms reads "ADDR TYPE NAME [MODULE]" lines, keeping text
// symbols (types T, t, W, w). name is used in messages. It parses bytes in
// place: a kallsyms holds 100k–300k lines. When r is a regular *os.File,
// names are not copied but read from it on lookup: keep it open while the
// Kallsyms is in use.
func ParseKallsyms(r io.Reader, name string) (*Kallsyms, error) {
	k := &Kallsyms{}
	if f, ok := r.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() < maxKallsymsNames {
			// A regular file: names stay in it and are read on lookup,
			// and the table is sized once (lines average over 40 bytes).
			k.file = f
			k.syms = make([]ksym, 0, st.Size()/40)
		}
	}
	err := scanKallsyms(r, name, func(s ksym, nm []byte, at int64) error {
		if k.file != nil {
			s.off = uint32(at)
		} else {
			s.off = uint32(len(k.names))
			k.names = append(k.names, nm...)
		}
		k.syms = append(k.syms, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(k.syms, func(i, j int) bool { return k.syms[i].addr < k.syms[j].addr })
	k.syms = dedupe(k.syms, k.names)
	return k, nil
}

// scanKallsyms calls fn for every text symbol of a kallsyms stream with
// the symbol (n set, off unset), its name (valid during the call) and the
// name's offset in the stream. It fails when no line has an address.
func scanKallsyms(r io.Reader, name string, fn func(s ksym, nm []byte, at int64) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var off int64
	kept := 0
	for ln := 1; ; ln++ {
		line, err := br.ReadSlice('\n')
		at := off
		off += int64(len(line))
		if err == bufio.ErrBufferFull || len(line) > maxKallsymsLine {
			return fmt.Errorf("%s:%d: line longer than %d bytes", name, ln, maxKallsymsLine)
		}
		if len(line) > 0 {
			s, nm, nameAt, keep, perr := parseKallsymsLine(line)
			if perr != nil {
				return fmt.Errorf("%s:%d: %v", name, ln, perr)
			}
			if keep {
				kept++
				if ferr := fn(s, nm, at+int64(nameAt)); ferr != nil {
					return fmt.Errorf("%s:%d: %v", name, ln, ferr)
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, ln, err)
		}
		if off > maxKallsymsNames {
			return fmt.Errorf("%s:%d: more than %d bytes of symbols", name, ln, maxKallsymsNames)
		}
	}
	if kept == 0 {
		return fmt.Errorf("%s: no text symbols with addresses (kptr_restrict?)", name)
	}
	return nil
}

// parseKallsymsLine parses one line; keep is false for lines that do not
// name text (data symbols, hidden addresses).
func parseKallsymsLine(line []byte) (s ksym, nm []byte, nameAt int, keep bool, err error) {
	line = bytes.TrimRight(line, "\r\n")
	if len(line) == 0 {
		return s, nil, 0, false, nil
	}
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 || sp > 16 || len(line) < sp+4 || line[sp+2] != ' ' {
		return s, nil, 0, false, fmt.Errorf("not a kallsyms line: %.80q", line)
	}
	// ParseUint with base 16 takes hex digits only: no sign, prefix or underscores.
	addr, err := strconv.ParseUint(string(line[:sp]), 16, 64)
	if err != nil {
		return s, nil, 0, false, fmt.Errorf("bad address %.40q", line[:sp])
	}
	var bind uint8
	switch line[sp+1] {
	case 'T':
		bind = bindGlobal
	case 't':
		bind = bindLocal
	case 'W', 'w':
		bind = bindWeak
	default:
		return s, nil, 0, false, nil
	}
	if addr == 0 {
		return s, nil, 0, false, nil // kptr_restrict hides addresses: nothing to map
	}
	nm = line[sp+3:]
	for i, c := range nm {
		if c == ' ' || c == '\t' {
			nm = nm[:i] // drop the [module] column
			break
		}
	}
	if len(nm) == 0 || len(nm) > maxKallsymsLine {
		return s, nil, 0, false, fmt.Errorf("empty or overlong symbol name")
	}
	u := len(nm) - len(bytes.TrimLeft(nm, "_"))
	s = ksym{n: uint16(len(nm)), addr: addr, binding: bind, underscore: uint8(min(u, 255))}
	return s, nm, sp + 3, true, nil
}

// dedupe keeps one symbol per address, choosing like perf's
// choose_best_symbol: non-weak over weak, global over local, fewer leading
// underscores, then the longer name.
func dedupe(s []ksym, names []byte) []ksym {
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
	if a.underscore != b.underscore {
		return a.underscore < b.underscore
	}
	return a.n > b.n
}

// Lookup returns the kernel symbol whose range (up to the next symbol)
// holds addr.
func (k *Kallsyms) Lookup(addr uint64) (string, bool) {
	i := sort.Search(len(k.syms), func(i int) bool { return k.syms[i].addr > addr }) - 1
	if i < 0 {
		return "", false
	}
	s := k.syms[i]
	if k.file == nil {
		return string(k.names[s.off : s.off+uint32(s.n)]), true
	}
	b := make([]byte, s.n)
	if _, err := k.file.ReadAt(b, int64(s.off)); err != nil {
		return "", false
	}
	return string(b), true
}

// Len returns the number of text symbols kept.
func (k *Kallsyms) Len() int { return len(k.syms) }
