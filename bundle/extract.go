package bundle

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"strconv"
	"strings"
)

// Extract writes the archive's members into dir: every member when names
// is empty, otherwise those named (by member path, by the path without
// "artifacts/", by base name, or by original name). Every artifact is
// checked against the manifest's SHA-256; a mismatching file is removed.
// Existing files are never overwritten, and nothing is written outside dir,
// even through symlinks already in it: writes go through an os.Root.
func Extract(archivePath, dir string, names []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("opening %s: %w", dir, err)
	}
	defer root.Close()
	s, m, _, mb, err := openAtManifest(archivePath, 2)
	if err != nil {
		return err
	}
	defer s.Close()
	want, byPath := selectMembers(m, names)
	swept := map[string]bool{}
	if len(names) > 0 {
		var missing []string
		for _, n := range names {
			if !want[n] {
				missing = append(missing, QuoteName(n))
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("%s: %s: %w", archivePath, strings.Join(missing, ", "), ErrNotFound)
		}
	}
	if len(names) == 0 {
		if err := writeNew(root, ManifestName, strings.NewReader(string(mb)), "", archivePath, swept); err != nil {
			return err
		}
	}
	left := len(byPath)
	for left > 0 || len(names) == 0 {
		h, err := s.tr.Next()
		if errors.Is(err, io.EOF) {
			if left > 0 && len(names) > 0 {
				return fmt.Errorf("%s: archive ends before all requested members: %w", archivePath, ErrCorrupt)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w: %v", archivePath, ErrCorrupt, err)
		}
		if h.Typeflag != tar.TypeReg {
			return fmt.Errorf("%s: member %s is not a regular file: %w", archivePath, QuoteName(h.Name), ErrCorrupt)
		}
		art, isArt := byPath[h.Name]
		switch {
		case h.Name == TrailerName && len(names) == 0:
			if err := writeNew(root, TrailerName, s.tr, "", archivePath, swept); err != nil {
				return err
			}
		case isArt:
			if err := writeNew(root, h.Name, s.tr, art.SHA256, archivePath, swept); err != nil {
				return err
			}
			delete(byPath, h.Name)
			left--
		case len(names) == 0:
			return fmt.Errorf("%s: member %s is not in the manifest: %w", archivePath, QuoteName(h.Name), ErrCorrupt)
		}
	}
	return nil
}

// selectMembers maps each requested name to the artifacts it selects.
func selectMembers(m *Manifest, names []string) (matched map[string]bool, byPath map[string]Artifact) {
	matched, byPath = map[string]bool{}, map[string]Artifact{}
	for _, a := range m.Artifacts {
		if len(names) == 0 {
			byPath[a.Path] = a
			continue
		}
		keys := []string{a.Path, strings.TrimPrefix(a.Path, ArtifactDir), path.Base(a.Path), a.Original}
		keys = append(keys, a.Also...)
		for _, n := range names {
			for _, k := range keys {
				if n == k {
					byPath[a.Path] = a
					matched[n] = true
				}
			}
		}
	}
	return matched, byPath
}

// writeNew writes r to name under root, refusing to overwrite, and checks
// its SHA-256 when sum is given. It writes an owned temporary beside name
// and links it into place only once complete and checked, so a killed
// extract leaves no partial file under the member's name, only a
// temporary the next extract into the directory sweeps (once per
// directory, recorded in swept); on any failure nothing is left.
func writeNew(root *os.Root, name string, r io.Reader, sum, archivePath string, swept map[string]bool) error {
	if err := CheckMemberName(name); err != nil {
		return fmt.Errorf("%s: %w", archivePath, err)
	}
	if d := path.Dir(name); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", d, err)
		}
	}
	if d := path.Dir(name); !swept[d] {
		sweepRoot(root, d)
		swept[d] = true
	}
	if _, err := root.Lstat(name); err == nil {
		return fmt.Errorf("%s already exists; not overwriting", name)
	}
	tmp, f, err := createOwnedIn(root, path.Dir(name), "."+path.Base(name)+tempMark)
	if err != nil {
		return fmt.Errorf("creating %s: %w", name, err)
	}
	defer func() {
		root.Remove(tmp) // the link, when made, keeps the file
		f.Close()
	}()
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(f, h), r)
	if err == nil && sum != "" {
		if got := hex.EncodeToString(h.Sum(nil)); got != sum {
			err = fmt.Errorf("SHA-256 %s, manifest says %s: %w", got, sum, ErrCorrupt)
		}
	}
	if err == nil {
		if err = root.Link(tmp, name); errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists; not overwriting", name)
		}
	}
	if err != nil {
		return fmt.Errorf("%s: extracting %s: %w", archivePath, QuoteName(name), err)
	}
	return nil
}

// createOwnedIn is createOwned through root, for a directory dir under it.
func createOwnedIn(root *os.Root, dir, prefix string) (string, *os.File, error) {
	for range ownAttempts {
		name := path.Join(dir, prefix+"p"+strconv.Itoa(os.Getpid())+"-"+strconv.FormatUint(uint64(rand.Uint32()), 10))
		f, err := root.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", nil, err
		}
		err = flock(f, lockExclusive|lockTry)
		if err != nil && !errors.Is(err, errLocked) {
			return name, f, nil // no locks here: unowned, and sweeps leave it
		}
		if err == nil {
			st, serr := f.Stat()
			l, lerr := root.Lstat(name)
			if serr == nil && lerr == nil && os.SameFile(st, l) {
				return name, f, nil
			}
		}
		f.Close() // a sweep took it first
	}
	return "", nil, fmt.Errorf("creating a temporary file in %s: taken by concurrent sweeps each time", dir)
}
