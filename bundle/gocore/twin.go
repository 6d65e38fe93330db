package gocore

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
)

// A debug twin is the stripped executable's program rebuilt from the same
// revision without -ldflags=-s -w (Go builds with -trimpath are
// reproducible), or a kept unstripped copy: its DWARF and symbol table
// describe the stripped executable exactly when the two hold the same
// bytes at the same addresses in every section the loader maps. Build IDs
// cannot show it: the linker flags change them while the code stays the
// same.

// twinChunk is how many bytes of a section are compared at a time, so a
// comparison's memory stays bounded whatever the sections' sizes.
const twinChunk = 1 << 20

// MatchTwin checks that debugPath is a debug twin of exePath: the same
// machine, and the same allocated sections (every section the loader maps,
// .text and .gopclntab among them, build-ID notes aside), each at the same
// address with the same size and content. The error names both files and
// what differs.
func MatchTwin(exePath, debugPath string) (err error) {
	defer func() {
		// debug/elf trusts section headers in places; a damaged file is a
		// mismatch, not a crash.
		if r := recover(); r != nil {
			err = fmt.Errorf("debug binary %s: unreadable ELF: %v", debugPath, r)
		}
	}()
	exe, err := elf.Open(exePath)
	if err != nil {
		return fmt.Errorf("executable %s: %w", exePath, err)
	}
	defer exe.Close()
	dbg, err := elf.Open(debugPath)
	if err != nil {
		return fmt.Errorf("debug binary %s: %w", debugPath, err)
	}
	defer dbg.Close()
	if err := matchELF(exe, dbg); err != nil {
		return fmt.Errorf("debug binary %s does not match executable %s: %w", debugPath, exePath, err)
	}
	return nil
}

// errDebugOnly reports a twin whose sections hold no bytes, as
// objcopy --only-keep-debug writes them.
var errDebugOnly = errors.New("its code sections hold no bytes (a file from objcopy --only-keep-debug?), so its code cannot be compared with the executable's; attach an unstripped build of the same revision instead")

// matchELF compares the mapped sections of exe and its twin dbg.
func matchELF(exe, dbg *elf.File) error {
	if exe.Machine != dbg.Machine || exe.Class != dbg.Class {
		return fmt.Errorf("machine %v %v, debug binary %v %v", exe.Machine, exe.Class, dbg.Machine, dbg.Class)
	}
	want, got := mappedSections(exe), mappedSections(dbg)
	for _, name := range []string{".text", ".gopclntab"} {
		if want[name] == nil {
			return fmt.Errorf("the executable has no %s section", name)
		}
	}
	if len(want) != len(got) {
		return fmt.Errorf("%d mapped sections, debug binary %d", len(want), len(got))
	}
	for _, name := range sectionOrder(exe) {
		w, g := want[name], got[name]
		switch {
		case g == nil:
			return fmt.Errorf("section %s is missing from the debug binary", name)
		case w.Addr != g.Addr || w.Size != g.Size:
			return fmt.Errorf("section %s at %#x size %#x, debug binary at %#x size %#x", name, w.Addr, w.Size, g.Addr, g.Size)
		case w.Type == elf.SHT_NOBITS:
			continue
		case g.Type == elf.SHT_NOBITS:
			return fmt.Errorf("section %s: %w", name, errDebugOnly)
		}
		if off, err := sameContent(w, g); err != nil {
			return fmt.Errorf("section %s: %w", name, err)
		} else if off >= 0 {
			return fmt.Errorf("section %s differs at offset %#x (address %#x)", name, off, w.Addr+uint64(off))
		}
	}
	return nil
}

// mappedSections are f's sections the loader maps, build-ID notes (which
// the linker flags change) aside, by name.
func mappedSections(f *elf.File) map[string]*elf.Section {
	out := map[string]*elf.Section{}
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_ALLOC != 0 && s.Type != elf.SHT_NOTE {
			out[s.Name] = s
		}
	}
	return out
}

// sectionOrder names f's mapped sections in file order, so the first
// difference reported is the lowest.
func sectionOrder(f *elf.File) []string {
	var out []string
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_ALLOC != 0 && s.Type != elf.SHT_NOTE {
			out = append(out, s.Name)
		}
	}
	return out
}

// sameContent compares two sections of equal size chunk by chunk; it
// returns the offset of the first differing chunk, or -1.
func sameContent(a, b *elf.Section) (int64, error) {
	ra, rb := a.Open(), b.Open()
	ba, bb := make([]byte, twinChunk), make([]byte, twinChunk)
	for off := int64(0); ; off += twinChunk {
		na, erra := io.ReadFull(ra, ba)
		nb, errb := io.ReadFull(rb, bb)
		if na != nb {
			return off + int64(min(na, nb)), nil
		}
		if !bytes.Equal(ba[:na], bb[:nb]) {
			for i := range na {
				if ba[i] != bb[i] {
					return off + int64(i), nil
				}
			}
		}
		if eof(erra) && eof(errb) {
			return -1, nil
		}
		if erra != nil && !eof(erra) {
			return 0, fmt.Errorf("executable: %w", erra)
		}
		if errb != nil && !eof(errb) {
			return 0, fmt.Errorf("debug binary: %w", errb)
		}
	}
}

// eof reports the ends io.ReadFull signals.
func eof(err error) bool { return err == io.EOF || err == io.ErrUnexpectedEOF }
