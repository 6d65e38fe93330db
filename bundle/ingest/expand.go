package ingest

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/coroner/coroner/bundle"
)

// addCompressed unwraps a gzip, zstd, xz or lz4 file: a compressed tar is
// expanded, anything else is decompressed to the staging directory and
// sniffed, and stored unwrapped with its compression recorded.
func (c *gatherer) addCompressed(f *os.File, st os.FileInfo, original, comp string, depth int) error {
	dr, done, err := bundle.Decompress(io.NewSectionReader(f, 0, st.Size()), comp, c.lim.MaxMemberBytes)
	if err != nil {
		return fmt.Errorf("%s: %w", bundle.QuoteName(original), err)
	}
	defer done()
	br := bufio.NewReaderSize(dr, 1024)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return fmt.Errorf("%s: %w", bundle.QuoteName(original), err)
	}
	if containerOf(head) == "tar" {
		if depth >= maxExpandDepth {
			c.warn("%s: compressed tar nested inside an archive; stored as a file, not expanded", bundle.QuoteName(original))
			return c.addCandidate(f, st, original, bundle.KindOther, map[string]string{"container": "tar", "compression": comp}, "")
		}
		c.log("%s: expanding %s-compressed tar", bundle.QuoteName(original), comp)
		return c.addTar(br, original, depth+1)
	}
	p, err := c.spool(br, original, c.lim.MaxMemberBytes)
	if err != nil {
		return err
	}
	g, gst, err := openRegular(p)
	if err != nil {
		return fmt.Errorf("%s: %w", bundle.QuoteName(original), err)
	}
	defer g.Close()
	if gst.Size() == 0 {
		c.warn("%s: decompresses to nothing; skipped", bundle.QuoteName(original))
		return nil
	}
	kind, attrs, warns := Sniff(g, gst.Size())
	for _, w := range warns {
		c.warn("%s: %s", bundle.QuoteName(original), w)
	}
	switch {
	case attrs["compression"] != "":
		c.warn("%s: compressed twice; stored with one layer (%s) removed", bundle.QuoteName(original), comp)
		return c.addCandidate(g, gst, original, bundle.KindOther, attrs, comp)
	case attrs["container"] != "":
		if depth >= maxExpandDepth {
			c.warn("%s: archive nested inside an archive; stored as a file, not expanded", bundle.QuoteName(original))
			return c.addCandidate(g, gst, original, bundle.KindOther, attrs, comp)
		}
		return c.addZip(g, gst.Size(), original, depth+1)
	case kind == bundle.KindOther:
		c.warn("%s: content not recognized; stored as other", bundle.QuoteName(original))
	}
	return c.addCandidate(g, gst, original, kind, attrs, comp)
}

// addTar expands a tar stream. Member names are checked, never used as
// paths: members are staged under generated names. Links, devices and
// FIFOs are skipped with a warning.
func (c *gatherer) addTar(r io.Reader, original string, depth int) error {
	tr := tar.NewReader(r)
	last := "(start)"
	for {
		if err := c.ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: reading tar header after member %s: %w", bundle.QuoteName(original), bundle.QuoteName(last), err)
		}
		last = h.Name
		name := original + "/" + h.Name
		if err := c.count(name); err != nil {
			return err
		}
		if err := bundle.CheckMemberName(h.Name); err != nil {
			return fmt.Errorf("%s: %w", bundle.QuoteName(original), err)
		}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeGNUSparse:
		case tar.TypeDir, tar.TypeXGlobalHeader:
			continue
		case tar.TypeSymlink:
			c.warn("%s: symlink to %s skipped (links are never created or followed)", bundle.QuoteName(name), bundle.QuoteName(h.Linkname))
			continue
		case tar.TypeLink:
			c.warn("%s: hard link to %s skipped (links are never created or followed)", bundle.QuoteName(name), bundle.QuoteName(h.Linkname))
			continue
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			c.warn("%s: device or FIFO entry skipped", bundle.QuoteName(name))
			continue
		default:
			c.warn("%s: tar entry type %q skipped", bundle.QuoteName(name), h.Typeflag)
			continue
		}
		if h.Size > c.lim.MaxMemberBytes {
			return fmt.Errorf("%s: %d bytes: single member size limit of %d bytes: %w", bundle.QuoteName(name), h.Size, c.lim.MaxMemberBytes, bundle.ErrTooLarge)
		}
		if h.Size == 0 {
			c.warn("%s: empty file skipped", bundle.QuoteName(name))
			continue
		}
		p, err := c.spool(tr, name, h.Size)
		if err != nil {
			return err
		}
		if err := c.addFile(p, name, depth); err != nil {
			return err
		}
	}
}

// addZip expands a zip file. Entries are checked before anything is read:
// a directory claiming more entries than the member limit, overlapping
// entries (the classic zip bomb, which reuses one compressed block for many
// entries), and declared sizes past the limits are refused; encrypted
// entries are skipped with a warning.
func (c *gatherer) addZip(f io.ReaderAt, size int64, original string, depth int) error {
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return fmt.Errorf("%s: %w", bundle.QuoteName(original), err)
	}
	if len(zr.File) > c.lim.MaxMembers {
		return fmt.Errorf("%s: zip holds %d entries, more than the limit of %d: %w", bundle.QuoteName(original), len(zr.File), c.lim.MaxMembers, bundle.ErrTooLarge)
	}
	if err := checkZipOverlap(zr, size); err != nil {
		return fmt.Errorf("%s: %w", bundle.QuoteName(original), err)
	}
	for _, zf := range zr.File {
		if err := c.ctx.Err(); err != nil {
			return err
		}
		name := original + "/" + zf.Name
		if err := c.count(name); err != nil {
			return err
		}
		if err := bundle.CheckMemberName(zf.Name); err != nil {
			return fmt.Errorf("%s: %w", bundle.QuoteName(original), err)
		}
		mode := zf.Mode()
		switch {
		case mode.IsDir():
			continue
		case !mode.IsRegular():
			c.warn("%s: %s entry skipped (never created or followed)", bundle.QuoteName(name), fileType(mode))
			continue
		case zf.Flags&0x1 != 0: // APPNOTE 4.4.4 bit 0: encrypted
			c.warn("%s: encrypted zip entry skipped", bundle.QuoteName(name))
			continue
		case zf.UncompressedSize64 > uint64(c.lim.MaxMemberBytes):
			return fmt.Errorf("%s: declares %d bytes: single member size limit of %d bytes: %w", bundle.QuoteName(name), zf.UncompressedSize64, c.lim.MaxMemberBytes, bundle.ErrTooLarge)
		case zf.UncompressedSize64 == 0:
			c.warn("%s: empty file skipped", bundle.QuoteName(name))
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return fmt.Errorf("%s: %w", bundle.QuoteName(name), err)
		}
		p, err := c.spool(rc, name, int64(zf.UncompressedSize64))
		rc.Close()
		if err != nil {
			return err
		}
		if err := c.addFile(p, name, depth); err != nil {
			return err
		}
	}
	return nil
}

// checkZipOverlap refuses entries whose compressed data overlap each other
// or run past the end of the file.
func checkZipOverlap(zr *zip.Reader, size int64) error {
	type span struct {
		start, end int64
		name       string
	}
	var spans []span
	for _, zf := range zr.File {
		if zf.Mode().IsDir() && zf.CompressedSize64 == 0 {
			continue
		}
		off, err := zf.DataOffset()
		if err != nil {
			return fmt.Errorf("zip entry %s: %w", bundle.QuoteName(zf.Name), err)
		}
		end := off + int64(zf.CompressedSize64)
		if zf.CompressedSize64 > uint64(size) || end > size {
			return fmt.Errorf("zip entry %s: data at %#x+%d runs past the end of the file (%d bytes)", bundle.QuoteName(zf.Name), off, zf.CompressedSize64, size)
		}
		spans = append(spans, span{off, end, zf.Name})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end {
			return fmt.Errorf("zip entries %s and %s overlap at %#x (a zip bomb's trick)", bundle.QuoteName(spans[i-1].name), bundle.QuoteName(spans[i].name), spans[i].start)
		}
	}
	return nil
}

// addStream expands a tar (optionally compressed) read from a stream such
// as standard input.
func (c *gatherer) addStream(r io.Reader, original string, depth int) error {
	br := bufio.NewReaderSize(r, 1024)
	head, _ := br.Peek(512)
	var src io.Reader = br
	if comp := bundle.CompressionOf(head); comp != "" {
		dr, done, err := bundle.Decompress(br, comp, c.lim.MaxTotalBytes)
		if err != nil {
			return fmt.Errorf("%s: %w", original, err)
		}
		defer done()
		dbr := bufio.NewReaderSize(dr, 1024)
		head, _ = dbr.Peek(512)
		src = dbr
	}
	if containerOf(head) != "tar" {
		return fmt.Errorf("%s: not a tar stream (a tar, optionally gzip/zstd/xz/lz4-compressed, is expected on standard input)", original)
	}
	return c.addTar(src, original, depth+1)
}
