package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// archiveEpoch is the modification time of every member: fixed, so that
// the same inputs give the same bytes.
var archiveEpoch = time.Unix(0, 0).UTC()

// storedFile is one artifact to write and where its compressed data
// frames are in the spool.
type storedFile struct {
	art    Artifact
	off, n int64 // span of the spool holding the member's data frames
}

// tarBlock is the tar record size; data is padded to a multiple of it.
const tarBlock = 512

// zeros pads tar data and writes the end-of-archive marker.
var zeros [2 * tarBlock]byte

// writeArchive writes the archive: the manifest member first, then each
// artifact as a frame holding its tar header followed by its data frames
// copied from the spool, then the trailer member and the tar end marker in
// one last frame, then the seal.
func writeArchive(ctx context.Context, w io.Writer, manifest []byte, files []storedFile, spool io.ReaderAt, progress func(string, ...any)) error {
	fw, err := newFrameWriter(w)
	if err != nil {
		return err
	}
	buf := copyBufPool.Get().(*[]byte)
	defer copyBufPool.Put(buf)
	sum := sha256.Sum256(manifest)
	tr := Trailer{FormatVersion: FormatVersion, ManifestSHA256: hex.EncodeToString(sum[:])}
	tr.Members = append(tr.Members, TrailerMember{Name: ManifestName, Size: int64(len(manifest)), SHA256: tr.ManifestSHA256})
	werr := func() error {
		if err := writeSmallMember(fw, ManifestName, manifest); err != nil {
			return err
		}
		fw.EndFrame()
		for _, f := range files {
			if err := ctx.Err(); err != nil {
				return err
			}
			progress("writing %s", f.art.Path)
			h, err := tarHeader(f.art.Path, f.art.Size)
			if err != nil {
				return err
			}
			fw.Write(h)
			fw.EndFrame()
			if _, err := fw.WriteRaw(io.NewSectionReader(spool, f.off, f.n), *buf); err != nil {
				return fmt.Errorf("copying %s: %w", f.art.Path, err)
			}
			tr.Members = append(tr.Members, TrailerMember{Name: f.art.Path, Size: f.art.Size, SHA256: f.art.SHA256})
		}
		tb, err := json.MarshalIndent(tr, "", "  ")
		if err != nil {
			return err
		}
		tb = append(tb, '\n')
		// The trailer shares its frame with the tar end marker: cutting
		// the stream at any frame boundary loses the trailer.
		if err := writeSmallMember(fw, TrailerName, tb); err != nil {
			return err
		}
		_, err = fw.Write(zeros[:])
		return err
	}()
	cerr := fw.Close()
	if werr != nil {
		return werr
	}
	if cerr != nil {
		return fmt.Errorf("writing archive: %w", cerr)
	}
	if _, err := w.Write(sealFrame(fw.sum.Sum(nil))); err != nil {
		return fmt.Errorf("writing archive: %w", err)
	}
	return nil
}

// writeSmallMember writes a header, data and padding.
func writeSmallMember(fw *frameWriter, name string, data []byte) error {
	h, err := tarHeader(name, int64(len(data)))
	if err != nil {
		return err
	}
	fw.Write(h)
	fw.Write(data)
	_, err = fw.Write(zeros[:padding(int64(len(data)))])
	return err
}

// padding is the number of zero bytes that complete a tar record.
func padding(size int64) int64 { return (tarBlock - size%tarBlock) % tarBlock }

// tarHeader returns the header block(s) of a regular member: fixed mode,
// owner and time, so the same inputs give the same bytes.
func tarHeader(name string, size int64) ([]byte, error) {
	h := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     name,
		Size:     size,
		Mode:     0o644,
		ModTime:  archiveEpoch,
		Format:   tar.FormatUSTAR,
	}
	if size >= 1<<33-1 { // ustar's 11 octal digits hold sizes below 8 GiB
		h.Format = tar.FormatPAX
	}
	var b bytes.Buffer
	if err := tar.NewWriter(&b).WriteHeader(h); err != nil {
		return nil, fmt.Errorf("tar header for %s: %w", name, err)
	}
	return b.Bytes(), nil
}

// copyBufSize is the copy buffer for artifacts: large reads keep system
// call overhead negligible next to hashing and compression.
const copyBufSize = 1 << 20

var copyBufPool = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// ctxReader stops reading once ctx is done, so Ctrl-C interrupts a copy of
// a large core promptly.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
