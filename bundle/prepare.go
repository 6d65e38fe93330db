package bundle

import (
	"fmt"
	"io"
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
	var c *Cache
	if len(byName) > 0 {
		if c, err = DefaultCache(); err != nil {
			return err
		}
	}
	var pending []*AtomicFile
	defer func() {
		for _, af := range pending {
			af.Abort()
		}
	}()
	each := func(name string, r io.Reader, size int64) (string, error) {
		art, ok := byName[name]
		if !ok || art.Size != size || !validKey(art.SHA256) {
			return hashMember(r, size)
		}
		if f := c.use(art.SHA256, size); f != nil {
			f.Close()
			return hashMember(r, size)
		}
		af, err := c.claim(art.SHA256, false)
		if err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		if af == nil { // another process is extracting it
			return hashMember(r, size)
		}
		pending = append(pending, af)
		c.makeRoom(size)
		sum, err := extractSparse(af.File, r, size)
		if err != nil {
			return "", fmt.Errorf("%s: member %s: extracting into the cache as %s: %w", path, QuoteName(name), af.Name(), err)
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
		err := publishCached(af)
		if err == nil {
			err = af.close()
		}
		if err != nil {
			return fmt.Errorf("%s: cache: %w", path, err)
		}
	}
	if len(pending) > 0 {
		if _, err := c.Prune(-1); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

// hashMember reads exactly size bytes of a member and returns their hex
// SHA-256.
func hashMember(r io.Reader, size int64) (string, error) {
	n, sum, err := SumSHA256(r)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if n != size {
		return "", fmt.Errorf("member ends after %d of its %d bytes: %w", n, size, ErrCorrupt)
	}
	return sum, nil
}
