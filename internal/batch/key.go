package batch

import (
	"fmt"
	"os"
	"strings"

	"github.com/coroner/coroner/bundle"
)

// attachmentPrefix marks keys of inputs that are not coroner archives
// (attachments ingested on the fly): their key is the file's own SHA-256,
// since their archive digest is only known after ingest.
const attachmentPrefix = "file-"

// keyOf returns the identity a result is stored under: the archive digest
// (hex SHA-256 of its manifest member) for a coroner archive, or
// "file-<SHA-256 of the bytes>" for anything else. Reading an archive's
// manifest is bounded by the bundle package's limits; everything past it is
// left to the worker child.
func keyOf(path string) (key string, archive bool, err error) {
	magic := hasArchiveMagic(path)
	if !magic && hasArchiveName(path) {
		return "", true, notArchiveError(path)
	}
	if magic {
		a, err := bundle.Open(path)
		if err != nil {
			return "", true, fmt.Errorf("opening archive %s: %w", path, err)
		}
		defer a.Close()
		return a.Digest(), true, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	_, sum, err := bundle.SumSHA256(f)
	if err != nil {
		return "", false, fmt.Errorf("hashing %s: %w", path, err)
	}
	return attachmentPrefix + sum, false, nil
}

// notArchiveError is the error of a file whose name promises an archive
// that does not start as one.
func notArchiveError(name string) error {
	return fmt.Errorf("%s: not a coroner archive: no zstd frame magic (%x) at offset 0x0", name, bundle.ArchiveMagic)
}

// hasArchiveName reports whether the name promises a coroner archive.
func hasArchiveName(path string) bool {
	n := strings.ToLower(path)
	return strings.HasSuffix(n, ".tar.zst") || strings.HasSuffix(n, ".tzst")
}
