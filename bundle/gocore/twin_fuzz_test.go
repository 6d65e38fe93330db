package gocore

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// FuzzStrippedExecutable damages a real stripped executable — each
// 12-byte chunk of the input overwrites 8 bytes at an offset into its
// headers and sections — and runs what reads it without DWARF: the twin
// comparison, in both directions, and the search for the runtime's
// variables in its code. They may fail, never panic.
func FuzzStrippedExecutable(f *testing.F) {
	p := buildTwins(f, "local")
	exe, err := os.ReadFile(p.stripped)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{})
	var seed [12]byte
	binary.LittleEndian.PutUint32(seed[:], 0x28) // section header offset
	binary.LittleEndian.PutUint64(seed[4:], 0xffffffff)
	f.Add(seed[:])
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, muts []byte) {
		b := bytes.Clone(exe)
		for ; len(muts) >= 12; muts = muts[12:] {
			off := int(binary.LittleEndian.Uint32(muts) % uint32(len(b)-8))
			copy(b[off:], muts[4:12])
		}
		path := filepath.Join(dir, "exe")
		if err := os.WriteFile(path, b, 0o755); err != nil {
			t.Fatal(err)
		}
		_ = MatchTwin(path, p.plain)
		_ = MatchTwin(p.plain, path)
		if ef, err := elf.NewFile(bytes.NewReader(b)); err == nil {
			_, _ = tableLayout(ef, path)
		}
	})
}

// FuzzRipTargets decodes arbitrary bytes as amd64 code: never a panic or
// an endless loop.
func FuzzRipTargets(f *testing.F) {
	f.Add([]byte{0x48, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00}) // MOVQ 0x10(IP), AX
	f.Add([]byte{0xcc, 0xcc, 0x0f})
	f.Fuzz(func(t *testing.T, code []byte) {
		if ts := ripTargets(code, 0x401000); len(ts) > len(code) {
			t.Errorf("%d targets from %d bytes", len(ts), len(code))
		}
	})
}
