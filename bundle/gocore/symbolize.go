package gocore

import (
	"debug/dwarf"
	"fmt"
	"sort"

	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/bundle/symbolize"
)

// symbolizer maps PCs to frames, inlined calls expanded, from the
// executable's DWARF: the subprogram containing the PC, the chain of
// inlined subroutines whose ranges hold it, and the line table. Results
// are cached per PC: a census has many goroutines but few distinct PCs.
type symbolizer struct {
	d *dwarf.Data
	// pcln symbolizes instead of d for executables without DWARF.
	pcln  *symbolize.Binary
	cache map[uint64][]goroutines.Frame
	cus   map[dwarf.Offset]*cuIndex
	names map[dwarf.Offset]string
}

type cuIndex struct {
	entry *dwarf.Entry
	lr    *dwarf.LineReader
	files []*dwarf.LineFile
	subs  []subprog // sorted by low
}

type subprog struct {
	low, high uint64
	off       dwarf.Offset
}

func newSymbolizer(d *dwarf.Data) *symbolizer {
	return &symbolizer{d: d, cache: map[uint64][]goroutines.Frame{}, cus: map[dwarf.Offset]*cuIndex{}, names: map[dwarf.Offset]string{}}
}

// frames symbolizes pc (already adjusted to lie inside the call
// instruction for return addresses), innermost frame first.
func (s *symbolizer) frames(pc uint64) []goroutines.Frame {
	if f, ok := s.cache[pc]; ok {
		return f
	}
	f := s.lookup(pc)
	s.cache[pc] = f
	return f
}

// funcAt returns the concrete function containing pc, or "".
func (s *symbolizer) funcAt(pc uint64) string {
	fs := s.frames(pc)
	if len(fs) == 0 {
		return ""
	}
	return fs[len(fs)-1].Func
}

func (s *symbolizer) lookup(pc uint64) []goroutines.Frame {
	if s.pcln != nil {
		return s.pclnFrames(pc)
	}
	unknown := []goroutines.Frame{{Func: fmt.Sprintf("?%#x", pc)}}
	r := s.d.Reader()
	cu, err := r.SeekPC(pc)
	if err != nil || cu == nil {
		return unknown
	}
	ci := s.index(cu)
	if ci == nil {
		return unknown
	}
	i := sort.Search(len(ci.subs), func(i int) bool { return ci.subs[i].low > pc }) - 1
	if i < 0 || pc >= ci.subs[i].high {
		return unknown
	}
	sp := ci.subs[i]
	r.Seek(sp.off)
	top, err := r.Next()
	if err != nil || top == nil {
		return unknown
	}
	chain := []*dwarf.Entry{top}
	if top.Children {
		chain = s.inlineChain(r, pc, chain)
	}
	var le dwarf.LineEntry
	file, line := "", 0
	if ci.lr != nil && ci.lr.SeekPC(pc, &le) == nil && le.File != nil {
		file, line = le.File.Name, le.Line
	}
	out := make([]goroutines.Frame, 0, len(chain))
	for k := len(chain) - 1; k >= 0; k-- {
		e := chain[k]
		out = append(out, goroutines.Frame{Func: s.name(e), File: file, Line: line, Inlined: k > 0})
		if k > 0 {
			if idx, ok := e.Val(dwarf.AttrCallFile).(int64); ok && idx >= 0 && int(idx) < len(ci.files) && ci.files[idx] != nil {
				file = ci.files[idx].Name
			}
			if l, ok := e.Val(dwarf.AttrCallLine).(int64); ok {
				line = int(l)
			}
		}
	}
	return out
}

// inlineChain descends through the inlined subroutines containing pc.
func (s *symbolizer) inlineChain(r *dwarf.Reader, pc uint64, chain []*dwarf.Entry) []*dwarf.Entry {
	for {
		e, err := r.Next()
		if err != nil || e == nil || e.Tag == 0 {
			return chain
		}
		if e.Tag == dwarf.TagInlinedSubroutine && s.contains(e, pc) {
			chain = append(chain, e)
			if e.Children {
				return s.inlineChain(r, pc, chain)
			}
			return chain
		}
		if e.Children {
			r.SkipChildren()
		}
	}
}

func (s *symbolizer) contains(e *dwarf.Entry, pc uint64) bool {
	rs, err := s.d.Ranges(e)
	if err != nil {
		return false
	}
	for _, r := range rs {
		if pc >= r[0] && pc < r[1] {
			return true
		}
	}
	return false
}

// name returns an entry's name, following its abstract origin.
func (s *symbolizer) name(e *dwarf.Entry) string {
	if n, ok := e.Val(dwarf.AttrName).(string); ok {
		return n
	}
	off, ok := e.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset)
	if !ok {
		return "?"
	}
	if n, ok := s.names[off]; ok {
		return n
	}
	r := s.d.Reader()
	r.Seek(off)
	n := "?"
	if o, err := r.Next(); err == nil && o != nil {
		if v, ok := o.Val(dwarf.AttrName).(string); ok {
			n = v
		}
	}
	s.names[off] = n
	return n
}

// index lists a compile unit's subprograms and opens its line table.
func (s *symbolizer) index(cu *dwarf.Entry) *cuIndex {
	if ci, ok := s.cus[cu.Offset]; ok {
		return ci
	}
	ci := &cuIndex{entry: cu}
	if lr, err := s.d.LineReader(cu); err == nil && lr != nil {
		ci.lr = lr
		ci.files = lr.Files()
	}
	r := s.d.Reader()
	r.Seek(cu.Offset)
	if _, err := r.Next(); err == nil {
		for {
			e, err := r.Next()
			if err != nil || e == nil || e.Tag == 0 {
				break
			}
			if e.Tag == dwarf.TagSubprogram {
				if rs, err := s.d.Ranges(e); err == nil {
					for _, rg := range rs {
						ci.subs = append(ci.subs, subprog{low: rg[0], high: rg[1], off: e.Offset})
					}
				}
			}
			if e.Children {
				r.SkipChildren()
			}
		}
	}
	sort.Slice(ci.subs, func(i, j int) bool { return ci.subs[i].low < ci.subs[j].low })
	s.cus[cu.Offset] = ci
	return ci
}
