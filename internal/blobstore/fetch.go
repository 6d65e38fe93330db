package blobstore

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/coroner/coroner/bundle"
)

// Fetch copies key into the local directory dir and returns the file's
// path. An archive's seal is checked over its bytes as they arrive (the
// download is teed to disk), so a damaged or cut copy fails here and is
// never left in dir; the file appears under its name only once whole and
// checked. sealed reports that the seal checked, so that the reader need
// not hash the file again (bundle.OpenSealed). An archive without a seal
// that can only be read as a stream (bundle.CheckSealStream) is fetched
// with its frames' layout checked and sealed false, as is any other
// object. The name hashes the object's URL and attributes (size,
// modification time, ETag), so an unchanged object fetched before is not
// fetched again.
func (l *Location) Fetch(ctx context.Context, key, dir string) (path string, sealed bool, err error) {
	attrs, err := l.Stat(ctx, key)
	if err != nil {
		return "", false, err
	}
	url := l.name(key)
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d\x00%s", l.URL(key), attrs.Size, attrs.ModTime.UnixNano(), attrs.ETag))
	base := hex.EncodeToString(sum[:12]) + "-" + safeBase(key)
	// A copy whose seal checked is kept under base, any other under
	// unsealedPrefix+base, so a copy found again says which it was.
	checked, unchecked := filepath.Join(dir, base), filepath.Join(dir, unsealedPrefix+base)
	for _, p := range []string{checked, unchecked} {
		if st, err := os.Stat(p); err == nil && st.Size() == attrs.Size {
			return p, p == checked, nil
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", false, fmt.Errorf("fetching %s: %w", url, err)
	}
	r, err := l.Bucket.NewReader(ctx, key, nil)
	if err != nil {
		return "", false, fmt.Errorf("%s: %w", url, wrapNotFound(err))
	}
	defer r.Close()
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return "", false, fmt.Errorf("fetching %s: %w", url, err)
	}
	defer func() {
		if tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	br := bufio.NewReaderSize(r, 1<<20)
	head, _ := br.Peek(len(bundle.ArchiveMagic))
	tee := io.TeeReader(br, tmp)
	if bundle.HasArchiveMagic(head) {
		sealed, err = bundle.CheckSealStream(tee, url)
	} else {
		_, err = io.Copy(io.Discard, tee)
	}
	if err != nil {
		return "", false, fmt.Errorf("fetching %s: %w", url, err)
	}
	if err := tmp.Sync(); err != nil {
		return "", false, fmt.Errorf("fetching %s: %w", url, err)
	}
	if err := tmp.Close(); err != nil {
		return "", false, fmt.Errorf("fetching %s: %w", url, err)
	}
	local := unchecked
	if sealed {
		local = checked
	}
	if err := os.Rename(tmp.Name(), local); err != nil {
		return "", false, fmt.Errorf("fetching %s: %w", url, err)
	}
	tmp = nil
	return local, sealed, nil
}

// unsealedPrefix names a fetched copy whose seal was not checked.
const unsealedPrefix = "unsealed-"

// safeBase is key's last element, kept to what is safe in a file name.
func safeBase(key string) string {
	b := path.Base(key)
	b = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < 0x20 || r == 0x7f {
			return '_'
		}
		return r
	}, b)
	if b == "." || b == ".." || b == "" {
		b = "object"
	}
	if len(b) > 100 {
		b = b[len(b)-100:]
	}
	return b
}

// Digest returns the archive digest of the archive at key, reading only
// its start (ranged reads, see HeadReader) up to the manifest member.
func (l *Location) Digest(ctx context.Context, key string) (string, error) {
	h, err := l.OpenHead(ctx, key)
	if err != nil {
		return "", err
	}
	defer h.Close()
	return bundle.DigestReader(h, Redact(l.URL(key)))
}
