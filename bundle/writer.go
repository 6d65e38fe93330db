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
	"time"
)

// archiveEpoch is the modification time of every member: fixed, so that
// the same inputs give the same bytes.
var archiveEpoch = time.Unix(0, 0).UTC()

// storedFile is one artifact to write: where its bytes are, and what pass
// one saw of them.
type storedFile struct {
	art   Artifact
	src   string    // file holding the bytes
	mtime time.Time // src's modification time when hashed
}

// writeArchive writes the tar stream: manifest first, then files in order,
// then the trailer; each member in its own zstd frames.
func writeArchive(ctx context.Context, w io.Writer, manifest []byte, files []storedFile, progress func(string, ...any)) error {
	fw, err := newFrameWriter(w)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(fw)
	sum := sha256.Sum256(manifest)
	tr := Trailer{FormatVersion: FormatVersion, ManifestSHA256: hex.EncodeToString(sum[:])}
	tr.Members = append(tr.Members, TrailerMember{Name: ManifestName, Size: int64(len(manifest)), SHA256: tr.ManifestSHA256})
	werr := func() error {
		if err := writeMember(tw, fw, ManifestName, int64(len(manifest)), bytes.NewReader(manifest)); err != nil {
			return err
		}
		for _, f := range files {
			if err := ctx.Err(); err != nil {
				return err
			}
			progress("writing %s", f.art.Path)
			if err := writeFile(ctx, tw, fw, f); err != nil {
				return err
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
		if err := writeMemberData(tw, TrailerName, int64(len(tb)), bytes.NewReader(tb)); err != nil {
			return err
		}
		if err := tw.Close(); err != nil {
			return fmt.Errorf("closing tar stream: %w", err)
		}
		return nil
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

// writeFile copies one artifact, checking that its source did not change
// since it was hashed.
func writeFile(ctx context.Context, tw *tar.Writer, fw *frameWriter, f storedFile) error {
	src, st, err := openRegular(f.src)
	if err != nil {
		return &InputError{Err: fmt.Errorf("%s: %w", quoteName(f.art.Original), err)}
	}
	defer src.Close()
	if st.Size() != f.art.Size || !st.ModTime().Equal(f.mtime) {
		return &InputError{Err: fmt.Errorf("%s changed while being ingested (size %d, was %d)", quoteName(f.art.Original), st.Size(), f.art.Size)}
	}
	if err := writeMember(tw, fw, f.art.Path, f.art.Size, &ctxReader{ctx: ctx, r: src}); err != nil {
		return fmt.Errorf("%s: %w", quoteName(f.art.Original), err)
	}
	return nil
}

// writeMember writes one tar member of exactly size bytes from r and ends
// its zstd frame, so the stream can be cut cleanly after it.
func writeMember(tw *tar.Writer, fw *frameWriter, name string, size int64, r io.Reader) error {
	if err := writeMemberData(tw, name, size, r); err != nil {
		return err
	}
	fw.EndFrame()
	return nil
}

// writeMemberData writes one padded tar member.
func writeMemberData(tw *tar.Writer, name string, size int64, r io.Reader) error {
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
	if err := tw.WriteHeader(h); err != nil {
		return fmt.Errorf("tar header for %s: %w", name, err)
	}
	n, err := io.Copy(tw, io.LimitReader(r, size))
	if err != nil {
		return fmt.Errorf("copying %s: %w", name, err)
	}
	if n != size {
		return fmt.Errorf("copying %s: got %d bytes, want %d", name, n, size)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("padding %s: %w", name, err)
	}
	return nil
}

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
