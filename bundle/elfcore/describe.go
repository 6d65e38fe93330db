package elfcore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

var (
	leOrder binary.ByteOrder = binary.LittleEndian
	beOrder binary.ByteOrder = binary.BigEndian
)

// maxMappedFilesAttr bounds how many mapped file paths go into the
// manifest's "mapped_files" attribute, to keep manifests small.
const maxMappedFilesAttr = 64

// Describe sniffs a core for the archive manifest: executable name and
// arguments, pid, fatal signal and fault address, thread count, mapped
// files, the executable's build IDs, and whether the file is truncated.
// It fails only when the input is not a usable core.
func Describe(r io.ReaderAt, size int64) (map[string]string, error) {
	c, err := Parse(r, size)
	if err != nil {
		return nil, err
	}
	a := map[string]string{
		"machine":   c.Machine,
		"threads":   strconv.Itoa(len(c.Threads)),
		"truncated": strconv.FormatBool(c.Truncated()),
	}
	if c.Exe != "" {
		a["exe"] = c.Exe
	}
	if c.Args != "" {
		a["args"] = c.Args
	}
	if c.PID != 0 {
		a["pid"] = strconv.Itoa(c.PID)
	}
	if sig := c.Signal(); sig != 0 {
		a["signal"] = SignalName(sig)
	}
	if c.Siginfo != nil && c.Siginfo.Addr != 0 {
		a["fault_addr"] = fmt.Sprintf("%#x", c.Siginfo.Addr)
	}
	if c.Truncated() {
		a["missing_bytes"] = strconv.FormatInt(c.Want-c.Size, 10)
		a["want_size"] = strconv.FormatInt(c.Want, 10)
	}
	if p := c.ExePath(); p != "" {
		a["exe_path"] = p
	}
	if m, ok := c.ExeMapping(); ok {
		if m.BuildID != "" {
			a["build_id"] = m.BuildID
		}
		if m.GoBuildID != "" {
			a["go_build_id"] = m.GoBuildID
		}
	}
	if files := mappedFiles(c); len(files) > 0 {
		a["mapped_files"] = strings.Join(files, "\n")
	}
	if len(c.Warnings) > 0 {
		a["warnings"] = strings.Join(c.Warnings, "; ")
	}
	return a, nil
}

// mappedFiles lists distinct mapped paths with their build IDs
// ("path" or "path build_id"), in mapping order, capped.
func mappedFiles(c *Core) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range c.Mappings {
		if seen[m.Path] {
			continue
		}
		seen[m.Path] = true
		s := m.Path
		if m.BuildID != "" {
			s += " " + m.BuildID
		}
		if len(out) == maxMappedFilesAttr {
			out = append(out, fmt.Sprintf("… (%d more)", countDistinct(c)-maxMappedFilesAttr))
			break
		}
		out = append(out, s)
	}
	return out
}

func countDistinct(c *Core) int {
	seen := map[string]bool{}
	for _, m := range c.Mappings {
		seen[m.Path] = true
	}
	return len(seen)
}

// IsTruncated reports whether err is (or wraps) a *TruncatedError.
func IsTruncated(err error) bool {
	var t *TruncatedError
	return errors.As(err, &t)
}
