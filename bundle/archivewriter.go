package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// ArchiveWriter writes one archive into a file: the members are streamed
// in one after another, each read once, hashed while every core
// compresses it; Finish then adds the trailer and the tar end marker,
// writes the manifest frame (which needs every hash) and a gap frame into
// the space reserved for them at the start, and ends the file with the
// seal. The same members and manifest always give the same bytes,
// whatever the number of cores.
type ArchiveWriter struct {
	out     *os.File
	fw      *frameWriter
	reserve int  // bytes reserved at the start for the manifest and gap frames
	closed  bool // the frame writer is closed (Finish or Abort)
	buf     *[]byte

	// Where the last member written starts: the output offset and the
	// number of frames before it, for DropLastMember.
	lastOff    int64
	lastFrames int
	hasLast    bool
}

// NewArchiveWriter starts an archive in out, which must be empty and
// seekable. provisional is a manifest whose encoding is at least as long
// as the final one's will be (the same artifacts, with placeholder hashes
// of their final length): space for it is reserved at the start of the
// file, as the manifest is the first member but is known only at the end.
func NewArchiveWriter(out *os.File, provisional *Manifest) (*ArchiveWriter, error) {
	pb, err := encodeManifest(provisional)
	if err != nil {
		return nil, err
	}
	reserve := manifestReserve(len(pb))
	if _, err := out.Seek(int64(reserve), io.SeekStart); err != nil {
		return nil, err
	}
	fw, err := newFrameWriter(out, int64(reserve))
	if err != nil {
		return nil, err
	}
	return &ArchiveWriter{out: out, fw: fw, reserve: reserve, buf: copyBufPool.Get().(*[]byte)}, nil
}

// encodeManifest is the manifest member's data.
func encodeManifest(m *Manifest) ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// WriteMember writes the member name of size bytes read from data: its
// tar header in a frame of its own, then its data (padded to a tar
// record) in frames, and returns the data's hex SHA-256. It reads at most
// size bytes. An error reading data is returned as it is, so the caller
// tells its input's failures from the archive's; data ending early is an
// error too.
func (w *ArchiveWriter) WriteMember(name string, size int64, data io.Reader) (string, error) {
	off, frames, err := w.fw.Barrier()
	if err != nil {
		return "", err
	}
	w.lastOff, w.lastFrames, w.hasLast = off, frames, true
	hdr, err := tarHeader(name, size)
	if err != nil {
		return "", err
	}
	w.fw.Write(hdr)
	w.fw.EndFrame()
	h := sha256.New()
	r := io.LimitReader(data, size)
	buf := *w.buf
	var n int64
	for {
		k, err := r.Read(buf)
		if k > 0 {
			h.Write(buf[:k])
			w.fw.Write(buf[:k])
			n += int64(k)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	if n != size {
		return "", fmt.Errorf("member %s: its data ended after %d bytes of %d", QuoteName(name), n, size)
	}
	if _, err := w.fw.Write(zeros[:padding(n)]); err != nil {
		return "", fmt.Errorf("writing: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// DropLastMember removes the member WriteMember wrote last, as if it had
// never been written: the caller found its content equal to an earlier
// member's, to be stored once.
func (w *ArchiveWriter) DropLastMember() error {
	if !w.hasLast {
		return fmt.Errorf("dropping a member: none written since the last drop")
	}
	if _, _, err := w.fw.Barrier(); err != nil {
		return err
	}
	if err := w.out.Truncate(w.lastOff); err != nil {
		return fmt.Errorf("dropping a member: %w", err)
	}
	if _, err := w.out.Seek(w.lastOff, io.SeekStart); err != nil {
		return fmt.Errorf("dropping a member: %w", err)
	}
	w.fw.rewind(w.lastOff, w.lastFrames)
	w.hasLast = false
	return nil
}

// Finish completes the archive with m, the manifest of the members
// written (their names, sizes and hashes, in the order written): the
// trailer listing them, which shares its frame with the tar end marker,
// then the manifest frame and a gap frame filling the reserved space at
// the start, then the frame table and the seal. The file is left open for its owner to sync
// and rename.
func (w *ArchiveWriter) Finish(m *Manifest) error {
	if w.closed {
		return fmt.Errorf("archive writer already finished or aborted")
	}
	mb, err := encodeManifest(m)
	if err != nil {
		w.Abort()
		return err
	}
	msum := sha256.Sum256(mb)
	tr := Trailer{FormatVersion: FormatVersion, ManifestSHA256: hex.EncodeToString(msum[:])}
	tr.Members = append(tr.Members, TrailerMember{Name: ManifestName, Size: int64(len(mb)), SHA256: tr.ManifestSHA256})
	for _, a := range m.Artifacts {
		tr.Members = append(tr.Members, TrailerMember{Name: a.Path, Size: a.Size, SHA256: a.SHA256})
	}
	tb, err := json.MarshalIndent(tr, "", "  ")
	if err != nil {
		w.Abort()
		return err
	}
	// The trailer shares its frame with the tar end marker: cutting the
	// stream at any frame boundary loses the trailer.
	tm, err := memberBytes(TrailerName, append(tb, '\n'))
	if err != nil {
		w.Abort()
		return err
	}
	w.fw.Write(tm)
	w.fw.Write(zeros[:])
	w.closed = true
	copyBufPool.Put(w.buf)
	if err := w.fw.Close(); err != nil {
		return err
	}
	mm, err := memberBytes(ManifestName, mb)
	if err != nil {
		return err
	}
	mframe, err := encodeFrame(mm)
	if err != nil {
		return err
	}
	if len(mframe)+8 > w.reserve {
		return fmt.Errorf("manifest frame of %d bytes exceeds the %d reserved for it", len(mframe), w.reserve)
	}
	gap := gapFrame(w.reserve - len(mframe))
	if _, err := w.out.WriteAt(append(mframe, gap...), 0); err != nil {
		return err
	}
	records := append([]frameRecord{
		{off: 0, size: int64(len(mframe)), content: int64(len(mm)), sum: sha256.Sum256(mframe)},
		{off: int64(len(mframe)), size: int64(len(gap)), content: -1, sum: sha256.Sum256(gap)},
	}, w.fw.records...)
	table := tableFrame(records)
	sums := make([][32]byte, 0, len(records)+1)
	for _, r := range records {
		sums = append(sums, r.sum)
	}
	sums = append(sums, sha256.Sum256(table))
	if _, err := w.out.Seek(0, io.SeekEnd); err != nil {
		return err
	}
	if _, err := w.out.Write(append(table, sealFrame(sumOfSums(sums))...)); err != nil {
		return err
	}
	return nil
}

// Abort stops the compressors without completing the archive, whose
// file the caller removes. It does nothing after Finish.
func (w *ArchiveWriter) Abort() {
	if w.closed {
		return
	}
	w.closed = true
	w.fw.Close()
	copyBufPool.Put(w.buf)
}
