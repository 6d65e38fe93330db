package batch

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// archiveSuffixes are the names a directory scan picks up: coroner archives
// and the attachment formats ingest accepts. Files given explicitly are
// always taken, whatever their name.
var archiveSuffixes = []string{".tar.zst", ".tzst", ".zip", ".tar.gz", ".tgz", ".tar"}

// zstdMagic starts every zstd frame (RFC 8878 §3.1.1), hence every archive.
var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// Expand turns ARCHIVE|DIR|GLOB arguments into a sorted, de-duplicated list
// of files. A directory contributes the archives and attachments directly
// inside it and in its subdirectories, skipping hidden entries and batch
// output directories; a glob contributes its matches. An argument that
// names nothing is returned in missing.
func Expand(args []string) (files, missing []string, err error) {
	seen := map[string]bool{}
	add := func(p string) {
		p = filepath.Clean(p)
		if !seen[p] {
			seen[p] = true
			files = append(files, p)
		}
	}
	for _, arg := range args {
		st, statErr := os.Stat(arg)
		switch {
		case statErr == nil && st.IsDir():
			if err := scanDir(arg, add); err != nil {
				return nil, nil, err
			}
		case statErr == nil:
			add(arg)
		case strings.ContainsAny(arg, "*?["):
			matches, err := filepath.Glob(arg)
			if err != nil {
				return nil, nil, fmt.Errorf("pattern %q: %w", arg, err)
			}
			n := 0
			for _, m := range matches {
				if st, err := os.Stat(m); err == nil && st.Mode().IsRegular() {
					add(m)
					n++
				}
			}
			if n == 0 {
				missing = append(missing, arg)
			}
		default:
			missing = append(missing, arg)
		}
	}
	sort.Strings(files)
	sort.Strings(missing)
	return files, missing, nil
}

// scanDir walks dir for archives and attachments.
func scanDir(dir string, add func(string)) error {
	return filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("scanning %s: %w", dir, err)
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != dir && isOutputDir(p) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if hasArchiveSuffix(d.Name()) || hasZstdMagic(p) {
			add(p)
		}
		return nil
	})
}

func hasArchiveSuffix(name string) bool {
	name = strings.ToLower(name)
	for _, s := range archiveSuffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// isOutputDir reports whether dir is a batch output directory (its results
// are not inputs).
func isOutputDir(dir string) bool {
	return exists(filepath.Join(dir, SummaryFile)) || isDir(filepath.Join(dir, resultsDir))
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// hasZstdMagic reports whether the file at p starts with a zstd frame.
func hasZstdMagic(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [4]byte
	if _, err := io.ReadFull(f, b[:]); err != nil {
		return false
	}
	return bytes.Equal(b[:], zstdMagic)
}
