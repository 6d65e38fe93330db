package symbolize

import (
	"bytes"
	"debug/elf"
	"os"
	"testing"
)

// FuzzKallsyms parses mutated real kallsyms lines; it must never panic.
func FuzzKallsyms(f *testing.F) {
	raw, err := os.ReadFile("testdata/kallsyms.sample")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Add(raw[:200])
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseKallsyms(bytes.NewReader(b), "fuzz")
		if err != nil {
			return
		}
		for _, a := range []uint64{0, 1 << 63, ^uint64(0), k.syms[0].addr} {
			k.Lookup(a)
		}
	})
}

// FuzzPclntab decodes mutated real pclntabs (this test binary's own,
// whole and cut short) and symbolizes addresses across its text; it must
// never panic or loop.
func FuzzPclntab(f *testing.F) {
	exe, err := os.Executable()
	if err != nil {
		f.Fatal(err)
	}
	ef, err := elf.Open(exe)
	if err != nil {
		f.Skipf("test binary is not ELF: %v", err)
	}
	defer ef.Close()
	s, text := ef.Section(".gopclntab"), ef.Section(".text")
	if s == nil || text == nil {
		f.Skip("test binary has no .gopclntab")
	}
	tab, err := s.Data()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tab, text.Addr, text.Size)
	f.Add(tab[:4096], text.Addr, text.Size)
	f.Fuzz(func(t *testing.T, b []byte, textAddr, textSize uint64) {
		p, err := parsePclntab(b, textAddr)
		if err != nil {
			return
		}
		step := textSize/64 + 1
		for pc := textAddr; pc < textAddr+textSize && pc >= textAddr; pc += step {
			if fn, ok := p.lookup(pc); ok {
				p.frames(fn, pc, func(off uint64, n int) []byte { return nil })
				p.funcName(fn.nameOff)
			}
		}
	})
}
