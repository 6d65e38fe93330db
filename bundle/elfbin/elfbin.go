// Package elfbin describes ELF executables and shared objects: for Go
// executables the toolchain's build information (Go version, main module,
// VCS revision, GOOS/GOARCH), and for every ELF file its build IDs and
// whether symbols and DWARF are present or split off via .gnu_debuglink.
//
// A per-kind reader: it imports no other coroner package; bundle/ingest
// sniffs executables with its Recognize.
package elfbin

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// ErrNotELF reports bytes that are not an ELF file.
var ErrNotELF = errors.New("not an ELF file")

// maxDebuglinkBytes bounds .gnu_debuglink: a file name and a CRC; file
// names are at most PATH_MAX (4096) bytes on Linux.
const maxDebuglinkBytes = 4096 + 8

// IsGo reports whether attrs (from Describe) describe a Go executable.
func IsGo(attrs map[string]string) bool { return attrs["go_version"] != "" }

// Describe returns manifest attributes for the ELF file in r: elf_type,
// machine, build_id (GNU), go_build_id, symtab, dwarf, debuglink, and for
// Go executables go_version, path (the main package), main_path,
// main_version, vcs, vcs_revision,
// vcs_time, vcs_modified, goos, goarch. Cores (ET_CORE) are described by
// the elfcore package; here they only get elf_type.
func Describe(r io.ReaderAt, size int64) (attrs map[string]string, err error) {
	defer func() {
		// debug/elf has had panics on hostile section tables; turn any
		// into an error naming what failed rather than losing the ingest.
		if p := recover(); p != nil {
			attrs, err = nil, fmt.Errorf("parsing ELF headers: %v", p)
		}
	}()
	f, err := elf.NewFile(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotELF, err)
	}
	defer f.Close()
	a := map[string]string{
		"elf_type": typeName(f.Type),
		"machine":  machineName(f.Machine),
	}
	if f.Type == elf.ET_CORE {
		return a, nil
	}
	a["symtab"] = strconv.FormatBool(f.Section(".symtab") != nil)
	a["dwarf"] = strconv.FormatBool(f.Section(".debug_info") != nil || f.Section(".zdebug_info") != nil)
	if s := f.Section(".gnu_debuglink"); s != nil && s.Type != elf.SHT_NOBITS && s.Size <= maxDebuglinkBytes {
		if b, err := s.Data(); err == nil {
			if i := bytes.IndexByte(b, 0); i > 0 {
				a["debuglink"] = string(b[:i])
			}
		}
	}
	gnu, goID := BuildIDs(f)
	if gnu != "" {
		a["build_id"] = gnu
	}
	if goID != "" {
		a["go_build_id"] = goID
	}
	if bi, err := buildinfo.Read(r); err == nil {
		a["go_version"] = bi.GoVersion
		a["main_path"] = bi.Main.Path
		if bi.Path != "" {
			a["path"] = bi.Path
		}
		if bi.Main.Version != "" {
			a["main_version"] = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "GOOS", "GOARCH", "vcs", "vcs.revision", "vcs.time", "vcs.modified", "CGO_ENABLED", "-buildmode":
				a[settingKey(s.Key)] = s.Value
			}
		}
	}
	return a, nil
}

// settingKey turns a build setting key into a snake_case attribute key.
func settingKey(k string) string {
	switch k {
	case "-buildmode":
		return "buildmode"
	case "CGO_ENABLED":
		return "cgo_enabled"
	}
	b := []byte(k)
	for i, c := range b {
		if c == '.' {
			b[i] = '_'
		} else if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// typeNames and machineNames name the ELF types and machines coroner
// meets (elf(5) e_type, e_machine), the machines as Go's GOARCH does.
var (
	typeNames = map[elf.Type]string{elf.ET_EXEC: "exec", elf.ET_DYN: "dyn", elf.ET_CORE: "core", elf.ET_REL: "rel"}

	machineNames = map[elf.Machine]string{elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64", elf.EM_386: "386",
		elf.EM_ARM: "arm", elf.EM_PPC64: "ppc64", elf.EM_S390: "s390x", elf.EM_RISCV: "riscv64"}
)

func typeName(t elf.Type) string { return nameOf(typeNames, t) }

func machineName(m elf.Machine) string { return nameOf(machineNames, m) }

// nameOf returns v's name in names, or v in hexadecimal.
func nameOf[V ~uint16](names map[V]string, v V) string {
	if n, ok := names[v]; ok {
		return n
	}
	return fmt.Sprintf("%#x", uint16(v))
}
