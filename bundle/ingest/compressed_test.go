package ingest

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"

	"github.com/coroner/coroner/bundle"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
)

// TestCompressedCores wraps the head of a real core (a core cut short is
// still a core: its notes come first) in each compression people attach
// cores in, and checks each is unwrapped, recognized by its content, and
// stored byte-identical to the uncompressed core.
func TestCompressedCores(t *testing.T) {
	inc := realIncident(t)
	if !inc.files["core"] {
		t.Skip("no core on this machine (see the log for why)")
	}
	f, err := os.Open(filepath.Join(inc.dir, "core"))
	if err != nil {
		t.Fatal(err)
	}
	core := make([]byte, 4<<20)
	n, _ := f.Read(core)
	f.Close()
	core = core[:n]

	wrap := map[string]func() []byte{
		"core.gz": func() []byte {
			var b bytes.Buffer
			w := gzip.NewWriter(&b)
			w.Write(core)
			w.Close()
			return b.Bytes()
		},
		"core.zst": func() []byte {
			return zstdBytes(t, core) // as systemd-coredump writes it
		},
		"core.xz": func() []byte {
			var b bytes.Buffer
			w, _ := xz.NewWriter(&b)
			w.Write(core)
			w.Close()
			return b.Bytes()
		},
		"core.lz4": func() []byte {
			var b bytes.Buffer
			w := lz4.NewWriter(&b)
			w.Write(core)
			w.Close()
			return b.Bytes()
		},
	}
	files := map[string][]byte{}
	for name, fn := range wrap {
		files[name] = fn()
	}
	r := ingestFiles(t, files, Limits{})
	if r.err != nil {
		t.Fatal(r.err)
	}
	// Identical content, stored once.
	if len(r.m.Artifacts) != 1 {
		t.Fatalf("%d artifacts, want 1 (identical cores stored once): %+v", len(r.m.Artifacts), r.m.Artifacts)
	}
	a := r.m.Artifacts[0]
	if a.Kind != bundle.KindCore || a.Size != int64(len(core)) || len(a.Also) != 3 {
		t.Errorf("artifact %+v", a)
	}
	if a.Attrs["exe"] == "" {
		t.Errorf("core attributes not read through the compression: %v", a.Attrs)
	}
	dir := t.TempDir()
	if err := bundle.Extract(r.out, dir, nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, a.Path)); !bytes.Equal(b, core) {
		t.Error("extracted core differs from the uncompressed original")
	}
}

// TestXzDictionaryCap ingests an xz file whose first block declares a
// 2 GiB dictionary: the decompressor refuses it before allocating
// (bundle's TestCheckXzDict checks the header parsing itself).
func TestXzDictionaryCap(t *testing.T) {
	data := xzHugeDict(t, []byte(gotrace))
	r := ingestFiles(t, map[string][]byte{"dump.xz": data}, Limits{})
	wantErr(t, r.err, "dump.xz", "dictionary")
}

// xzHugeDict compresses b with xz, then declares a 2 GiB dictionary in
// the first block header (xz format §3.1: the LZMA2 filter's property
// byte) and fixes the header's CRC32.
func xzHugeDict(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	w, err := xz.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	w.Close()
	data := buf.Bytes()
	const hdr = 12
	size := (int(data[hdr]) + 1) * 4
	i := bytes.Index(data[hdr:hdr+size], []byte{0x21, 0x01})
	if i < 0 {
		t.Fatal("no LZMA2 filter flags in the block header")
	}
	data[hdr+i+2] = 38 // 2 << (38/2 + 11) = 2 GiB
	binary.LittleEndian.PutUint32(data[hdr+size-4:], crc32.ChecksumIEEE(data[hdr:hdr+size-4]))
	return data
}
