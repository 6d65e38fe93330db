package blobstore

import (
	"bufio"
	"bytes"
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

// zstdMagic starts every zstd frame (RFC 8878 §3.1.1), hence every archive.
var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// Fetch copies key into the local directory dir and returns the file's
// path. An archive's seal is checked over its bytes as they arrive (the
// download is teed to disk), so a damaged or cut copy fails here and is
// never left in dir; the file appears under its name only once whole and
// checked. The name hashes the object's URL and attributes (size,
// modification time, ETag), so an unchanged object fetched before is not
// fetched again.
func (l *Location) Fetch(ctx context.Context, key, dir string) (string, error) {
	attrs, err := l.Stat(ctx, key)
	if err != nil {
		return "", err
	}
	url := l.name(key)
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d\x00%s", l.URL(key), attrs.Size, attrs.ModTime.UnixNano(), attrs.ETag))
	local := filepath.Join(dir, hex.EncodeToString(sum[:12])+"-"+safeBase(key))
	if st, err := os.Stat(local); err == nil && st.Size() == attrs.Size {
		return local, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("fetching %s: %w", url, err)
	}
	r, err := l.Bucket.NewReader(ctx, key, nil)
	if err != nil {
		return "", fmt.Errorf("%s: %w", url, wrapNotFound(err))
	}
	defer r.Close()
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(local)+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("fetching %s: %w", url, err)
	}
	defer func() {
		if tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	br := bufio.NewReaderSize(r, 1<<20)
	head, _ := br.Peek(len(zstdMagic))
	tee := io.TeeReader(br, tmp)
	if bytes.Equal(head, zstdMagic) {
		err = bundle.CheckSealReader(tee, url)
	} else {
		_, err = io.Copy(io.Discard, tee)
	}
	if err != nil {
		return "", fmt.Errorf("fetching %s: %w", url, err)
	}
	if err := tmp.Sync(); err != nil {
		return "", fmt.Errorf("fetching %s: %w", url, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("fetching %s: %w", url, err)
	}
	if err := os.Rename(tmp.Name(), local); err != nil {
		return "", fmt.Errorf("fetching %s: %w", url, err)
	}
	tmp = nil
	return local, nil
}

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
