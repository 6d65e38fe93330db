package bundle

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// maxManifestBytes bounds the manifest member. A manifest entry is well
// under 2 KiB, and archives hold at most DefaultMaxMembers artifacts, so
// 64 MiB leaves ample room while refusing a manifest sized to exhaust
// memory.
const maxManifestBytes = 64 << 20

// maxReadWindow bounds the zstd window when reading an archive. coroner
// writes frames of at most frameBlock bytes; the bound admits archives
// recompressed by the zstd CLI at up to level 19 (8 MiB windows) and
// refuses frames that declare more.
const maxReadWindow = 64 << 20

// ErrNotArchive reports a file that is not a coroner archive.
var ErrNotArchive = errors.New("not a coroner archive")

// ErrCorrupt reports an archive that is damaged: truncated, altered, or
// inconsistent with its trailer.
var ErrCorrupt = errors.New("archive corrupt")

// ErrNotFound reports a requested member that the archive does not hold.
var ErrNotFound = errors.New("not in the archive")

// Archive is an opened incident archive. It implements analyze.Source.
// It is safe for concurrent use.
type Archive struct {
	path     string
	manifest *Manifest
	digest   string

	// sealed: the caller checked the seal before (OpenSealed); the frame
	// index is built without hashing the file again.
	sealed bool
	// src, when not nil, is where the archive is read instead of the file
	// at path (OpenReaderAt): path then only names it.
	src *archiveSource

	idxMu  sync.Mutex     // guards what follows
	idx    *frameIndexRef // the frame index, built on first use
	idxErr error          // why the index cannot be built

	heldMu sync.Mutex // guards what follows
	cache  *Cache     // the extraction cache, opened on first use
	held   map[string]*os.File
}

// wholeArchiveReader decodes an archive file from its start as one tar
// stream: for the manifest, which is its first member, and for archives
// whose frames cannot be read one at a time.
type wholeArchiveReader struct {
	f   io.Closer // nil for an archive read through an io.ReaderAt
	dec *zstd.Decoder
	tr  *tar.Reader
}

func openWholeArchive(path string, concurrency int) (*wholeArchiveReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	s, err := newWholeArchiveReader(bufio.NewReaderSize(f, 1<<20), f, path, concurrency)
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// openAtManifest opens the archive at path as one stream and reads its
// manifest (see readManifest), leaving the reader at the member after it;
// on error nothing is left open.
func openAtManifest(path string, concurrency int) (*wholeArchiveReader, *Manifest, string, []byte, error) {
	s, err := openWholeArchive(path, concurrency)
	if err != nil {
		return nil, nil, "", nil, err
	}
	m, digest, raw, err := s.readManifest(path)
	if err != nil {
		s.Close()
		return nil, nil, "", nil, err
	}
	return s, m, digest, raw, nil
}

// newWholeArchiveReader decodes the archive br (named path) from its
// start; c, when not nil, is closed with the reader.
func newWholeArchiveReader(br *bufio.Reader, c io.Closer, path string, concurrency int) (*wholeArchiveReader, error) {
	head, _ := br.Peek(len(ArchiveMagic))
	if !HasArchiveMagic(head) {
		return nil, fmt.Errorf("%s: %w: no zstd magic", path, ErrNotArchive)
	}
	dec, err := zstd.NewReader(br, zstd.WithDecoderMaxWindow(maxReadWindow),
		zstd.WithDecoderMaxMemory(maxReadWindow), zstd.WithDecoderConcurrency(concurrency))
	if err != nil {
		return nil, fmt.Errorf("%s: zstd: %w", path, err)
	}
	return &wholeArchiveReader{f: c, dec: dec, tr: tar.NewReader(dec)}, nil
}

// Read reads the data of the member the tar reader is at.
func (s *wholeArchiveReader) Read(p []byte) (int, error) { return s.tr.Read(p) }

func (s *wholeArchiveReader) Close() error {
	s.dec.Close()
	if s.f == nil {
		return nil
	}
	return s.f.Close()
}

// readManifest reads and hashes the first member, which must be the
// manifest.
func (s *wholeArchiveReader) readManifest(path string) (*Manifest, string, []byte, error) {
	h, err := s.tr.Next()
	if err != nil {
		return nil, "", nil, fmt.Errorf("%s: reading first member: %w: %v", path, ErrNotArchive, err)
	}
	if h.Name != ManifestName || h.Typeflag != tar.TypeReg {
		return nil, "", nil, fmt.Errorf("%s: %w: first member is %s, not %s", path, ErrNotArchive, QuoteName(h.Name), ManifestName)
	}
	if h.Size > maxManifestBytes {
		return nil, "", nil, fmt.Errorf("%s: %s is %d bytes, over the %d-byte limit: %w", path, ManifestName, h.Size, maxManifestBytes, ErrCorrupt)
	}
	b, err := io.ReadAll(s.tr)
	if err != nil {
		return nil, "", nil, fmt.Errorf("%s: reading %s: %w: %v", path, ManifestName, ErrCorrupt, err)
	}
	sum := sha256.Sum256(b)
	m := new(Manifest)
	if err := json.Unmarshal(b, m); err != nil {
		return nil, "", nil, fmt.Errorf("%s: decoding %s: %w: %v", path, ManifestName, ErrCorrupt, err)
	}
	if m.FormatVersion != FormatVersion {
		return nil, "", nil, fmt.Errorf("%s: archive format version %d; this coroner reads version %d", path, m.FormatVersion, FormatVersion)
	}
	seen := map[string]bool{}
	for _, a := range m.Artifacts {
		if err := checkStoredName(a.Path); err != nil {
			return nil, "", nil, fmt.Errorf("%s: %s: %w: %v", path, ManifestName, ErrCorrupt, err)
		}
		if seen[FoldKey(a.Path)] {
			return nil, "", nil, fmt.Errorf("%s: %s lists %s twice: %w", path, ManifestName, QuoteName(a.Path), ErrCorrupt)
		}
		seen[FoldKey(a.Path)] = true
	}
	return m, hex.EncodeToString(sum[:]), b, nil
}

// checkStoredName accepts only the member names coroner writes for
// artifacts: "artifacts/<kind>/<name>" made of portable characters.
func checkStoredName(name string) error {
	if err := CheckMemberName(name); err != nil {
		return err
	}
	if !strings.HasPrefix(name, ArtifactDir) || strings.Count(name, "/") != 2 {
		return fmt.Errorf("member name %s is not of the form %s<kind>/<name>", QuoteName(name), ArtifactDir)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-/", r)) {
			return fmt.Errorf("member name %s has a character outside [A-Za-z0-9._-]", QuoteName(name))
		}
	}
	for _, el := range strings.Split(name, "/") {
		if el == "" || el == "." {
			return fmt.Errorf("member name %s has an empty element", QuoteName(name))
		}
	}
	return nil
}

// Open opens an archive, reading only its manifest member.
func Open(path string) (*Archive, error) {
	s, m, digest, _, err := openAtManifest(path, 1)
	if err != nil {
		return nil, err
	}
	s.Close()
	return &Archive{path: path, manifest: m, digest: digest}, nil
}

// OpenSealed is Open for an archive whose seal was already checked, in
// this process or the one that started it (CheckSealed): reading members
// in place then walks the frames' layout without hashing the whole file
// again. Every frame read is still checked against its checksum, and Open
// and Path still hash the members they read.
func OpenSealed(path string) (*Archive, error) {
	a, err := Open(path)
	if err != nil {
		return nil, err
	}
	a.sealed = true
	return a, nil
}

// IsArchive reports whether path is a coroner archive: zstd-compressed with
// manifest.json as its first member. It reads only the first frame.
func IsArchive(path string) bool {
	s, err := openWholeArchive(path, 1)
	if err != nil {
		return false
	}
	defer s.Close()
	h, err := s.tr.Next()
	return err == nil && h.Name == ManifestName && h.Typeflag == tar.TypeReg
}

// Manifest returns the archive's manifest.
func (a *Archive) Manifest() *Manifest { return a.manifest }

// Digest is the archive's content ID: the hex SHA-256 of its manifest
// member. The manifest holds every artifact's hash, so equal digests mean
// equal contents.
func (a *Archive) Digest() string { return a.digest }

// File returns the archive's file name, as given to Open.
func (a *Archive) File() string { return a.path }

// Close releases the archive's frame index and the cache entries Path
// returned, which may be evicted from then on (see Cache). Readers opened
// from the archive before Close keep working: the archive file is closed
// with the last of them. The archive stays usable; a later Open, Path or
// OpenMember indexes it again.
func (a *Archive) Close() error {
	a.idxMu.Lock()
	if a.idx != nil {
		a.idx.cleanup.Stop()
		a.idx.drop()
		a.idx = nil
	}
	a.idxErr = nil
	a.idxMu.Unlock()
	return a.releaseCache()
}

// Open streams one artifact's bytes, decoding only the archive frames
// that hold them (in an archive that does not allow random access, every
// frame up to the member's end). The first Open, Path or OpenMember of an
// Archive checks the archive's seal. The SHA-256 is checked as the reader
// reaches the end: a mismatch is returned instead of io.EOF.
func (a *Archive) Open(art Artifact) (io.ReadCloser, error) {
	r, err := a.memberData(art)
	if err != nil {
		return nil, err
	}
	return &checkedMemberReader{r: r, h: sha256.New(), want: art.SHA256, name: art.Path, archive: a.path}, nil
}

// member opens a wholeArchiveReader positioned at the start of art's data, after
// checking the member's size against the manifest. It decodes every
// member before art: it serves archives that do not allow random access.
func (a *Archive) member(art Artifact) (*wholeArchiveReader, error) {
	s, err := a.openWhole()
	if err != nil {
		return nil, err
	}
	for {
		h, err := s.tr.Next()
		if err != nil {
			s.Close()
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%s: member %s: %w", a.path, QuoteName(art.Path), ErrNotFound)
			}
			return nil, fmt.Errorf("%s: looking for %s: %w: %v", a.path, QuoteName(art.Path), ErrCorrupt, err)
		}
		if h.Name == art.Path {
			if h.Size != art.Size {
				s.Close()
				return nil, fmt.Errorf("%s: member %s is %d bytes, manifest says %d: %w", a.path, QuoteName(art.Path), h.Size, art.Size, ErrCorrupt)
			}
			return s, nil
		}
	}
}

// checkedMemberReader checks a member's hash when it has been read to the end.
type checkedMemberReader struct {
	r             io.ReadCloser
	h             hash.Hash
	want          string
	name, archive string
}

func (m *checkedMemberReader) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	m.h.Write(p[:n])
	if errors.Is(err, io.EOF) {
		if got := hex.EncodeToString(m.h.Sum(nil)); got != m.want {
			return n, fmt.Errorf("%s: member %s: SHA-256 %s, manifest says %s: %w", m.archive, QuoteName(m.name), got, m.want, ErrCorrupt)
		}
	} else if errors.Is(err, ErrCorrupt) || errors.Is(err, os.ErrClosed) {
		err = fmt.Errorf("%s: member %s: %w", m.archive, QuoteName(m.name), err)
	} else if err != nil {
		err = fmt.Errorf("%s: member %s: %w: %v", m.archive, QuoteName(m.name), ErrCorrupt, err)
	}
	return n, err
}

func (m *checkedMemberReader) Close() error { return m.r.Close() }

// Path returns a seekable copy of the artifact, extracted once into the
// extraction cache (see Cache) and verified by its SHA-256. Extracting
// decodes only the frames that hold the artifact, as Open does. All-zero
// blocks are left as holes; see cached for when a cached copy is trusted.
// The copy stays in place until the archive is closed.
func (a *Archive) Path(art Artifact) (string, error) {
	return a.cachedPath(art)
}
