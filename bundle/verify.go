package bundle

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
)

// maxTrailerBytes bounds the trailer: one line of about 150 bytes per
// member, at most DefaultMaxMembers of them.
const maxTrailerBytes = 16 << 20

// Verify re-reads the whole archive, checks the seal over its compressed
// bytes, re-hashes every member, and checks them against the trailer and
// manifest: a missing, extra, reordered, truncated or altered member is an
// error naming it, wrapping ErrCorrupt.
func Verify(path string) error {
	return verify(path, nil)
}

// memberFunc consumes one artifact member's bytes (exactly size of them)
// and returns their hex SHA-256.
type memberFunc func(name string, r io.Reader, size int64) (string, error)

// verify is Verify with each artifact member read through each (a plain
// hash when nil).
func verify(path string, each memberFunc) error {
	if err := checkSeal(path); err != nil {
		return err
	}
	s, m, digest, _, err := openAtManifest(path, runtime.GOMAXPROCS(0))
	if err != nil {
		return err
	}
	defer s.Close()
	got := []TrailerMember{{Name: ManifestName, SHA256: digest}}
	var trailer []byte
	order := newMemberOrder(path)
	for {
		h, err := s.tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: after member %s: %w: %v", path, QuoteName(got[len(got)-1].Name), ErrCorrupt, err)
		}
		isTrailer, err := order.next(h)
		if err != nil {
			return err
		}
		if isTrailer {
			if trailer, err = io.ReadAll(s.tr); err != nil {
				return fmt.Errorf("%s: reading trailer: %w: %v", path, ErrCorrupt, err)
			}
			continue
		}
		if each != nil {
			sum, err := each(h.Name, s.tr, h.Size)
			if err != nil {
				return fmt.Errorf("%s: member %s: %w", path, QuoteName(h.Name), err)
			}
			got = append(got, TrailerMember{Name: h.Name, Size: h.Size, SHA256: sum})
			continue
		}
		n, sum, err := SumSHA256(s.tr)
		if err != nil {
			return fmt.Errorf("%s: member %s: %w: %v", path, QuoteName(h.Name), ErrCorrupt, err)
		}
		got = append(got, TrailerMember{Name: h.Name, Size: n, SHA256: sum})
	}
	if trailer == nil {
		return fmt.Errorf("%s: no trailer after member %s: archive truncated: %w", path, QuoteName(got[len(got)-1].Name), ErrCorrupt)
	}
	// The tar end marker was read; nothing but the end of the zstd stream
	// may follow.
	if n, err := io.Copy(io.Discard, s.dec); err != nil || n > 0 {
		return fmt.Errorf("%s: %d bytes after the end of the tar stream (%v): %w", path, n, err, ErrCorrupt)
	}
	got[0].Size = -1 // the manifest's size is checked by its hash
	return checkTrailer(path, m, trailer, got)
}

// checkTrailer compares the members read with the trailer and manifest.
func checkTrailer(path string, m *Manifest, raw []byte, got []TrailerMember) error {
	var tr Trailer
	if err := json.Unmarshal(raw, &tr); err != nil {
		return fmt.Errorf("%s: decoding trailer: %w: %v", path, ErrCorrupt, err)
	}
	if tr.ManifestSHA256 != got[0].SHA256 {
		return fmt.Errorf("%s: %s has SHA-256 %s, trailer says %s: %w", path, ManifestName, got[0].SHA256, tr.ManifestSHA256, ErrCorrupt)
	}
	for i, w := range tr.Members {
		if i >= len(got) {
			return fmt.Errorf("%s: member %s listed in the trailer is missing: %w", path, QuoteName(w.Name), ErrCorrupt)
		}
		g := got[i]
		if g.Name != w.Name {
			return fmt.Errorf("%s: member %d is %s, trailer says %s: %w", path, i, QuoteName(g.Name), QuoteName(w.Name), ErrCorrupt)
		}
		if g.SHA256 != w.SHA256 || (g.Size >= 0 && g.Size != w.Size) {
			return fmt.Errorf("%s: member %s: %d bytes with SHA-256 %s, trailer says %d bytes with %s: %w", path, QuoteName(g.Name), g.Size, g.SHA256, w.Size, w.SHA256, ErrCorrupt)
		}
	}
	if len(got) > len(tr.Members) {
		return fmt.Errorf("%s: member %s is not listed in the trailer: %w", path, QuoteName(got[len(tr.Members)].Name), ErrCorrupt)
	}
	if len(m.Artifacts) != len(got)-1 {
		return fmt.Errorf("%s: manifest lists %d artifacts, archive holds %d: %w", path, len(m.Artifacts), len(got)-1, ErrCorrupt)
	}
	for i, a := range m.Artifacts {
		g := got[i+1]
		if a.Path != g.Name || a.Size != g.Size || a.SHA256 != g.SHA256 {
			return fmt.Errorf("%s: member %s does not match its manifest entry %s: %w", path, QuoteName(g.Name), QuoteName(a.Path), ErrCorrupt)
		}
	}
	return nil
}

// memberOrder checks, header by header, the members after the manifest
// that Verify and CheckSealed both expect: plain regular files, each name
// once (compared as file systems that fold case would), and the trailer,
// within its bound, last.
type memberOrder struct {
	path    string
	seen    map[string]bool
	trailer bool
}

func newMemberOrder(path string) *memberOrder {
	return &memberOrder{path: path, seen: map[string]bool{FoldKey(ManifestName): true}}
}

// next checks the header of the next member and reports whether it is
// the trailer.
func (o *memberOrder) next(h *tar.Header) (trailer bool, err error) {
	switch {
	case o.trailer:
		return false, fmt.Errorf("%s: member %s after the trailer: %w", o.path, QuoteName(h.Name), ErrCorrupt)
	case h.Typeflag != tar.TypeReg || sparseRecords(h):
		return false, fmt.Errorf("%s: member %s is not a plain regular file (type %q): %w", o.path, QuoteName(h.Name), h.Typeflag, ErrCorrupt)
	case o.seen[FoldKey(h.Name)]:
		return false, fmt.Errorf("%s: member name %s appears twice: %w", o.path, QuoteName(h.Name), ErrCorrupt)
	}
	o.seen[FoldKey(h.Name)] = true
	if h.Name != TrailerName {
		return false, nil
	}
	if h.Size > maxTrailerBytes {
		return false, fmt.Errorf("%s: trailer of %d bytes exceeds %d: %w", o.path, h.Size, maxTrailerBytes, ErrCorrupt)
	}
	o.trailer = true
	return true, nil
}
