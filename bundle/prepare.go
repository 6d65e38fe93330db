package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// VerifyExtract verifies the archive exactly as Verify does and, in the
// same pass over its bytes, extracts the artifacts that want selects
// (given the manifest and one of its artifacts) into the cache that Path
// serves them from, so that an analysis right after verification
// decompresses the archive once instead of twice. A member already in the
// cache (and trusted there, see cached) is only hashed. Extracted files
// are renamed into the cache only once the whole archive has verified: on
// any failure everything the pass wrote is removed and the error is
// Verify's.
func VerifyExtract(path string, want func(*Manifest, Artifact) bool) error {
	a, err := Open(path)
	if err != nil {
		return err
	}
	byName := map[string]Artifact{}
	for _, art := range a.manifest.Artifacts {
		if want(a.manifest, art) {
			byName[art.Path] = art
		}
	}
	var pending []*atomicFile
	defer func() {
		for _, af := range pending {
			af.Abort()
		}
	}()
	each := func(name string, r io.Reader, size int64) (string, error) {
		art, ok := byName[name]
		if !ok || art.Size != size {
			return hashMember(r, size)
		}
		dest, err := a.cachePath(art)
		if err != nil {
			return "", err
		}
		if st, err := os.Stat(dest); err == nil && st.Mode().IsRegular() && st.Size() == size && cached(dest, art.SHA256) {
			return hashMember(r, size)
		}
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			return "", fmt.Errorf("cache: %w", err)
		}
		af, err := createAtomic(dest)
		if err != nil {
			return "", err
		}
		pending = append(pending, af)
		sum, err := extractSparse(af.File, r, size)
		if err != nil {
			return "", err
		}
		if sum != art.SHA256 {
			// The trailer check names the mismatch; this copy must not
			// reach the cache under the manifest's hash.
			af.Abort()
			pending = pending[:len(pending)-1]
		}
		return sum, nil
	}
	if err := verify(path, each); err != nil {
		return err
	}
	for _, af := range pending {
		if err := commitCached(af, af.dest); err != nil {
			return fmt.Errorf("%s: cache: %w", path, err)
		}
	}
	return nil
}

// hashMember reads exactly size bytes of a member and returns their hex
// SHA-256.
func hashMember(r io.Reader, size int64) (string, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if n != size {
		return "", fmt.Errorf("member ends after %d of its %d bytes: %w", n, size, ErrCorrupt)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// cachePath is where Path keeps art's extracted copy:
// $CORONER_CACHE_DIR (or the user cache directory's coroner/) /
// <archive digest>/<artifact SHA-256><extension>.
func (a *Archive) cachePath(art Artifact) (string, error) {
	base := os.Getenv("CORONER_CACHE_DIR")
	if base == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("no cache directory (set CORONER_CACHE_DIR): %w", err)
		}
		base = filepath.Join(d, "coroner")
	}
	if len(art.SHA256) != 64 || strings.Trim(art.SHA256, "0123456789abcdef") != "" {
		return "", fmt.Errorf("%s: artifact %s has a malformed SHA-256", a.path, quoteName(art.Path))
	}
	return filepath.Join(base, a.digest, art.SHA256+filepath.Ext(art.Path)), nil
}
