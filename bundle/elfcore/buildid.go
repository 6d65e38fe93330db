package elfcore

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"io"
)

// maxHeaderPage bounds how much of a mapping's first dumped page is read to
// find its ELF notes. The kernel dumps one page (coredump_filter bit 4,
// "ELF headers"); 64 KiB covers the largest page size (arm64 64K pages).
const maxHeaderPage = 64 << 10

// findBuildIDs fills BuildID/GoBuildID of mappings that start at file offset
// 0 and whose first page the core holds.
func (c *Core) findBuildIDs(r io.ReaderAt, size int64) {
	for i := range c.Mappings {
		m := &c.Mappings[i]
		if m.Offset != 0 {
			continue
		}
		page := c.loadedPage(r, size, m.Start)
		if page == nil {
			continue
		}
		m.BuildID, m.GoBuildID = elfBuildIDs(page)
	}
}

// loadedPage returns the dumped bytes at vaddr, up to maxHeaderPage.
func (c *Core) loadedPage(r io.ReaderAt, size int64, vaddr uint64) []byte {
	for _, s := range c.Segments {
		if s.Type != ptLoad || s.Vaddr != vaddr || s.Filesz == 0 || s.Offset >= uint64(size) {
			continue
		}
		n := min(s.Filesz, maxHeaderPage, uint64(size)-s.Offset)
		b := make([]byte, n)
		if _, err := r.ReadAt(b, int64(s.Offset)); err != nil {
			return nil
		}
		return b
	}
	return nil
}

// elfBuildIDs finds the GNU and Go build ID notes in the PT_NOTE segments
// of an ELF image's first page. Anything out of bounds is ignored.
func elfBuildIDs(page []byte) (gnu, goID string) {
	if len(page) < elfHeaderSize64 || string(page[:4]) != "\x7fELF" || page[4] != elfClass64 {
		return "", ""
	}
	h := &header{}
	switch page[5] {
	case elfData2LSB:
		h.order = leOrder
	case elfData2MSB:
		h.order = beOrder
	default:
		return "", ""
	}
	phoff, phnum := h.order.Uint64(page[32:]), int(h.order.Uint16(page[56:]))
	if h.order.Uint16(page[54:]) != phdrSize64 || phoff > uint64(len(page)) {
		return "", ""
	}
	r := bytes.NewReader(page)
	for i := 0; i < phnum; i++ {
		p := phoff + uint64(i)*phdrSize64
		if p+phdrSize64 > uint64(len(page)) {
			break
		}
		ph := page[p:]
		if h.order.Uint32(ph[0:]) != ptNote {
			continue
		}
		off, sz := h.order.Uint64(ph[8:]), h.order.Uint64(ph[32:])
		if off >= uint64(len(page)) {
			continue
		}
		end := min(off+sz, uint64(len(page)))
		if end < off {
			continue
		}
		it := &noteIter{r: r, h: h, off: int64(off), end: int64(end), where: "mapped ELF"}
		for {
			n, err := it.next()
			if err != nil {
				break
			}
			switch {
			case n.name == "GNU" && n.typ == ntGNUBuild && gnu == "":
				if b, err := n.desc(r, 256); err == nil {
					gnu = hex.EncodeToString(b)
				}
			case n.name == "Go" && n.typ == ntGoBuildID && goID == "":
				if b, err := n.desc(r, 256); err == nil {
					goID = string(b)
				}
			}
		}
	}
	if gnu == "" {
		gnu = scanGNUBuildID(page, h.order)
	}
	return gnu, goID
}

// scanGNUBuildID looks for an NT_GNU_BUILD_ID note anywhere in the page.
// The Go linker places .note.gnu.build-id right after .note.go.buildid but
// covers only the latter with a PT_NOTE header, and section headers sit at
// the end of the file, outside the dumped page; the note's fixed shape
// (namesz 4, type 3, owner "GNU") finds it.
func scanGNUBuildID(page []byte, o binary.ByteOrder) string {
	for i := 0; i+16 <= len(page); i += 4 {
		if string(page[i+12:i+16]) != "GNU\x00" || o.Uint32(page[i:]) != 4 || o.Uint32(page[i+8:]) != ntGNUBuild {
			continue
		}
		n := o.Uint32(page[i+4:])
		if n == 0 || n > maxBuildIDLen || uint64(i)+16+uint64(n) > uint64(len(page)) {
			continue
		}
		return hex.EncodeToString(page[i+16 : i+16+int(n)])
	}
	return ""
}

// maxBuildIDLen bounds a GNU build ID: SHA-1 gives 20 bytes, linkers offer
// at most a 64-byte hash; anything longer is not a build ID note.
const maxBuildIDLen = 64

// FileBuildIDs returns the GNU and Go build IDs of an ELF file (an
// executable), read from its first page only, with the same bounds checks
// as for cores.
func FileBuildIDs(r io.ReaderAt) (gnu, goID string) {
	page := make([]byte, maxHeaderPage)
	n, _ := r.ReadAt(page, 0)
	return elfBuildIDs(page[:n])
}
