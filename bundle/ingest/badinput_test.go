package ingest

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coroner/coroner/bundle"
)

func TestUnsafeMemberPaths(t *testing.T) {
	for _, name := range []string{"../evil", "a/../../evil", "/etc/evil", `a\..\evil`, "C:/evil"} {
		t.Run("tar/"+name, func(t *testing.T) {
			r := ingestFiles(t, map[string][]byte{"x.tar": mkTar(t, reg(name, gotrace))}, Limits{})
			wantErr(t, r.err, "x.tar", name[:1])
		})
		t.Run("zip/"+name, func(t *testing.T) {
			r := ingestFiles(t, map[string][]byte{"x.zip": mkZip(t, zreg(name, gotrace))}, Limits{})
			wantErr(t, r.err, "x.zip")
		})
	}
}

func TestTarLinksAndSpecialFiles(t *testing.T) {
	data := mkTar(t,
		tarEntry{hdr: tar.Header{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "/etc"}},
		reg("link/passwd", gotrace),
		tarEntry{hdr: tar.Header{Name: "hard", Typeflag: tar.TypeLink, Linkname: "link/passwd"}},
		tarEntry{hdr: tar.Header{Name: "dev", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3}},
		tarEntry{hdr: tar.Header{Name: "blk", Typeflag: tar.TypeBlock, Devmajor: 8}},
		tarEntry{hdr: tar.Header{Name: "fifo", Typeflag: tar.TypeFifo}},
	)
	r := ingestFiles(t, map[string][]byte{"x.tar": data}, Limits{})
	if r.err != nil {
		t.Fatal(r.err)
	}
	wantWarning(t, r.m, "x.tar/link", "symlink")
	wantWarning(t, r.m, "x.tar/hard", "hard link")
	wantWarning(t, r.m, "x.tar/dev", "device or FIFO")
	wantWarning(t, r.m, "x.tar/fifo", "device or FIFO")
	// The file beneath the symlink is stored as data under a generated
	// name; nothing was created at its path.
	a, ok := originals(r.m)["x.tar/link/passwd"]
	if !ok || a.Kind != bundle.KindGoroutineDump || a.Path != "artifacts/goroutine-dump/passwd" {
		t.Errorf("file beneath the symlink: %+v", a)
	}
	if len(r.m.Artifacts) != 1 {
		t.Errorf("%d artifacts, want 1", len(r.m.Artifacts))
	}
}

func TestDirectoryWithSpecialFiles(t *testing.T) {
	in := t.TempDir()
	os.WriteFile(filepath.Join(in, "dump.txt"), []byte(gotrace), 0o644)
	if err := syscall.Mkfifo(filepath.Join(in, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Symlink("/etc/passwd", filepath.Join(in, "link"))
	os.Symlink("/etc", filepath.Join(in, "dirlink"))
	dev := syscall.Mknod(filepath.Join(in, "null"), syscall.S_IFCHR|0o644, 1<<8|3) == nil
	out := filepath.Join(t.TempDir(), "o.tar.zst")
	done := make(chan error, 1)
	var m *bundle.Manifest
	go func() {
		var err error
		m, err = Run(t.Context(), Options{Inputs: []string{in}, Output: out})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("ingest blocked on a special file")
	}
	wantWarning(t, m, `"fifo"`, "FIFO")
	wantWarning(t, m, `"link"`, "symlink")
	wantWarning(t, m, `"dirlink"`, "symlink")
	if dev {
		wantWarning(t, m, `"null"`, "character device")
	} else {
		t.Log("mknod not permitted here: device node case not exercised")
	}
	if len(m.Artifacts) != 1 || m.Artifacts[0].Original != "dump.txt" {
		t.Errorf("artifacts %+v, want only dump.txt", m.Artifacts)
	}
}

func TestDuplicateAndConfusableNames(t *testing.T) {
	data := mkTar(t,
		reg("dump", gotrace),
		reg("dump", gotrace+"\n"),
		reg("Dump", gotrace+"\n\n"),
		reg("caf\u00e9", gotrace+"1"),  // NFC
		reg("cafe\u0301", gotrace+"2"), // NFD: the same name when normalized
	)
	r := ingestFiles(t, map[string][]byte{"x.tar": data}, Limits{})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if len(r.m.Artifacts) != 5 {
		t.Fatalf("%d artifacts, want 5 (all contents differ)", len(r.m.Artifacts))
	}
	seen := map[string]string{}
	for _, a := range r.m.Artifacts {
		k := bundle.FoldKey(a.Path)
		if prev, ok := seen[k]; ok {
			t.Errorf("stored names %q and %q collide on a case-insensitive file system", prev, a.Path)
		}
		seen[k] = a.Path
	}
	dir := t.TempDir()
	if err := bundle.Extract(r.out, dir, nil); err != nil {
		t.Fatalf("extract: %v", err)
	}
}

func TestControlAndBidiNames(t *testing.T) {
	name := "evil\x1b[31m\u202egpj.exe"
	r := ingestFiles(t, map[string][]byte{"x.tar": mkTar(t, reg(name, gotrace), reg("skip\x07", ""))}, Limits{})
	if r.err != nil {
		t.Fatal(r.err)
	}
	a := r.m.Artifacts[0]
	if a.Original != "x.tar/"+name {
		t.Errorf("original %q not kept", a.Original)
	}
	for _, c := range a.Path {
		if c < 0x20 || c > 0x7e {
			t.Fatalf("stored name %q has a non-printable or non-ASCII character", a.Path)
		}
	}
	if d := bundle.DisplayName(a.Original); strings.ContainsAny(d, "\x1b\u202e") {
		t.Errorf("bundle.DisplayName(%q) = %q still holds the escape or the override", a.Original, d)
	}
	for _, w := range r.m.Warnings {
		if strings.ContainsAny(w, "\x07\x1b\u202e") {
			t.Errorf("warning %q holds a raw control character", w)
		}
	}
}

func TestHugePAXHeader(t *testing.T) {
	// Go's tar writer refuses such a header, so build the blocks by hand
	// (POSIX pax: an 'x' header whose data are "len key=value\n" records).
	val := strings.Repeat("x", 2<<20)
	rec := "comment=" + val + "\n"
	n := len(rec) + 8
	rec = strconv.Itoa(n) + " " + rec
	var b bytes.Buffer
	b.Write(rawTarHeader("PaxHeaders/big", 'x', int64(len(rec))))
	b.WriteString(rec)
	b.Write(make([]byte, (512-len(rec)%512)%512))
	b.Write(mkTar(t, reg("big", gotrace)))
	r := ingestFiles(t, map[string][]byte{"x.tar": b.Bytes()}, Limits{})
	wantErr(t, r.err, "x.tar", "tar header")
}

func TestGNUSparse(t *testing.T) {
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("GNU tar not installed: cannot make a sparse archive")
	}
	src := t.TempDir()
	f, _ := os.Create(filepath.Join(src, "sparse"))
	f.WriteAt([]byte(gotrace), 1<<20)
	f.Truncate(8 << 20)
	f.Close()
	tarPath := filepath.Join(t.TempDir(), "s.tar")
	if out, err := exec.Command("tar", "--sparse", "--format=gnu", "-C", src, "-cf", tarPath, "sparse").CombinedOutput(); err != nil {
		t.Skipf("tar --sparse failed: %v %s", err, out)
	}
	data, _ := os.ReadFile(tarPath)
	// Within limits: stored with its holes as zeros.
	r := ingestFiles(t, map[string][]byte{"s.tar": data}, Limits{})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if a := r.m.Artifacts[0]; a.Size != 8<<20 {
		t.Errorf("sparse member stored as %d bytes, want %d", a.Size, 8<<20)
	}
	// A sparse map claiming more than the member limit is refused before
	// anything is expanded.
	r = ingestFiles(t, map[string][]byte{"s.tar": data}, Limits{MaxMemberBytes: 1 << 20})
	wantErr(t, r.err, "s.tar/sparse", "limit")
	if !errors.Is(r.err, bundle.ErrTooLarge) {
		t.Errorf("error %v is not bundle.ErrTooLarge", r.err)
	}
}

func TestZipClaimingBillionsOfEntries(t *testing.T) {
	z := mkZip(t, zreg("a", gotrace))
	// Replace the end of central directory with a zip64 one that claims
	// five billion entries (APPNOTE 4.3.14-4.3.16).
	eocd := bytes.LastIndex(z, []byte("PK\x05\x06"))
	cdOff := binary.LittleEndian.Uint32(z[eocd+16:])
	cdSize := binary.LittleEndian.Uint32(z[eocd+12:])
	body := append([]byte(nil), z[:eocd]...)
	z64 := len(body)
	rec := make([]byte, 56)
	copy(rec, "PK\x06\x06")
	binary.LittleEndian.PutUint64(rec[4:], 44)
	binary.LittleEndian.PutUint16(rec[12:], 45)
	binary.LittleEndian.PutUint64(rec[24:], 5_000_000_000)
	binary.LittleEndian.PutUint64(rec[32:], 5_000_000_000)
	binary.LittleEndian.PutUint64(rec[40:], uint64(cdSize))
	binary.LittleEndian.PutUint64(rec[48:], uint64(cdOff))
	loc := make([]byte, 20)
	copy(loc, "PK\x06\x07")
	binary.LittleEndian.PutUint64(loc[8:], uint64(z64))
	binary.LittleEndian.PutUint32(loc[16:], 1)
	end := make([]byte, 22)
	copy(end, "PK\x05\x06")
	binary.LittleEndian.PutUint16(end[8:], 0xffff)
	binary.LittleEndian.PutUint16(end[10:], 0xffff)
	binary.LittleEndian.PutUint32(end[12:], 0xffffffff)
	binary.LittleEndian.PutUint32(end[16:], 0xffffffff)
	data := append(append(append(body, rec...), loc...), end...)
	r := ingestFiles(t, map[string][]byte{"x.zip": data}, Limits{})
	wantErr(t, r.err, "x.zip")
}

func TestOverlappingZipEntries(t *testing.T) {
	z := mkZip(t, zreg("a", strings.Repeat(gotrace, 100)), zreg("b", strings.Repeat(gotrace, 100)))
	// Point the second central directory entry at the first entry's data,
	// as overlapping zip bombs do.
	cd := bytes.Index(z, []byte("PK\x01\x02"))
	second := cd + 4 + bytes.Index(z[cd+4:], []byte("PK\x01\x02"))
	binary.LittleEndian.PutUint32(z[second+42:], 0)
	r := ingestFiles(t, map[string][]byte{"x.zip": z}, Limits{})
	wantErr(t, r.err, "x.zip", "overlap")
}

func TestCompressedPastCap(t *testing.T) {
	big := bytes.Repeat([]byte("goroutine 1 [running]:\n"), 1<<17) // 3 MiB
	var gz bytes.Buffer
	g := gzip.NewWriter(&gz)
	g.Write(big)
	g.Close()
	zs := zstdBytes(t, big)
	for name, data := range map[string][]byte{"dump.gz": gz.Bytes(), "dump.zst": zs} {
		t.Run(name, func(t *testing.T) {
			r := ingestFiles(t, map[string][]byte{name: data}, Limits{MaxMemberBytes: 1 << 20})
			wantErr(t, r.err, name, "limit")
			if !errors.Is(r.err, bundle.ErrTooLarge) {
				t.Errorf("error %v is not bundle.ErrTooLarge", r.err)
			}
			// Within limits, the same file is unwrapped and sniffed.
			r = ingestFiles(t, map[string][]byte{name: data}, Limits{})
			if r.err != nil {
				t.Fatal(r.err)
			}
			if a := r.m.Artifacts[0]; a.Kind != bundle.KindGoroutineDump || a.Size != int64(len(big)) || a.Compression == "" {
				t.Errorf("unwrapped artifact: kind %s size %d compression %q", a.Kind, a.Size, a.Compression)
			}
		})
	}
}

func TestZstdHugeWindow(t *testing.T) {
	// A frame header (RFC 8878 §3.1.1.1) with no content size and a window
	// descriptor of exponent 21: a 2 GiB window, then a raw block.
	frame := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 21 << 3, 0x21, 0x00, 0x00, 'g'}
	r := ingestFiles(t, map[string][]byte{"core.zst": frame}, Limits{})
	wantErr(t, r.err, "core.zst", "window")
}

func TestNestedArchives(t *testing.T) {
	innermost := mkZip(t, zreg("deep.txt", gotrace))
	var tgz bytes.Buffer
	g := gzip.NewWriter(&tgz)
	g.Write(mkTar(t, reg("inner.zip", string(innermost)), reg("mid.txt", gotrace+"mid")))
	g.Close()
	outer := mkZip(t, zipEntry{hdr: zip.FileHeader{Name: "mid.tar.gz", Method: zip.Store}, body: tgz.Bytes()}, zreg("top.txt", gotrace+"top"))
	r := ingestFiles(t, map[string][]byte{"attachment.zip": outer}, Limits{})
	if r.err != nil {
		t.Fatal(r.err)
	}
	o := originals(r.m)
	if _, ok := o["attachment.zip/mid.tar.gz/mid.txt"]; !ok {
		t.Errorf("one level of nesting was not expanded: %v", keys(o))
	}
	inner, ok := o["attachment.zip/mid.tar.gz/inner.zip"]
	if !ok || inner.Kind != bundle.KindOther || inner.Attrs["container"] != "zip" {
		t.Errorf("archive two levels deep should be stored as a file: %v", keys(o))
	}
	wantWarning(t, r.m, "inner.zip", "not expanded")
}

func keys(m map[string]bundle.Artifact) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	return k
}

func TestTruncatedCompressed(t *testing.T) {
	body := bytes.Repeat([]byte(gotrace), 5000)
	var gz bytes.Buffer
	g := gzip.NewWriter(&gz)
	g.Write(body)
	g.Close()
	zs := zstdBytes(t, body)
	z := mkZip(t, zreg("dump.txt", string(body)))
	for name, data := range map[string][]byte{"d.gz": gz.Bytes(), "d.zst": zs, "d.zip": z} {
		t.Run(name, func(t *testing.T) {
			r := ingestFiles(t, map[string][]byte{name: data[:len(data)*2/3]}, Limits{})
			wantErr(t, r.err, name)
		})
	}
}

func TestEncryptedZipEntry(t *testing.T) {
	z := mkZip(t, zipEntry{hdr: zip.FileHeader{Name: "secret", Method: zip.Store, Flags: 0x1}, body: []byte("ciphertext")}, zreg("plain.txt", gotrace))
	r := ingestFiles(t, map[string][]byte{"x.zip": z}, Limits{})
	if r.err != nil {
		t.Fatal(r.err)
	}
	wantWarning(t, r.m, "x.zip/secret", "encrypted")
	if len(r.m.Artifacts) != 1 {
		t.Errorf("artifacts %+v, want only plain.txt", r.m.Artifacts)
	}
}

func TestZeroByteFile(t *testing.T) {
	r := ingestFiles(t, map[string][]byte{"empty": nil, "dump.txt": []byte(gotrace)}, Limits{})
	if r.err != nil {
		t.Fatal(r.err)
	}
	wantWarning(t, r.m, "empty", "empty file skipped")
	r = ingestFiles(t, map[string][]byte{"empty": nil}, Limits{})
	wantErr(t, r.err, "no artifacts")
}

func TestOutputInsideInput(t *testing.T) {
	in := t.TempDir()
	os.WriteFile(filepath.Join(in, "dump.txt"), []byte(gotrace), 0o644)
	_, err := Run(t.Context(), Options{Inputs: []string{in}, Output: filepath.Join(in, "sub", "..", "o.tar.zst")})
	wantErr(t, err, "inside input directory")
	if _, err := os.Stat(filepath.Join(in, "o.tar.zst")); err == nil {
		t.Error("output written inside the input directory")
	}
}

func TestLimits(t *testing.T) {
	files := map[string][]byte{}
	for i := range 5 {
		files[string(rune('a'+i))] = []byte(gotrace + strings.Repeat("x", i))
	}
	r := ingestFiles(t, files, Limits{MaxMembers: 3})
	wantErr(t, r.err, "more than 3")
	r = ingestFiles(t, files, Limits{MaxTotalBytes: 100})
	wantErr(t, r.err, "total size limit")
	r = ingestFiles(t, files, Limits{MaxMemberBytes: 10})
	wantErr(t, r.err, "single member size limit")
}

// rawTarHeader builds one ustar header block.
func rawTarHeader(name string, typ byte, size int64) []byte {
	h := make([]byte, 512)
	copy(h, name)
	copy(h[100:], "0000644\x00")
	copy(h[108:], "0000000\x00")
	copy(h[116:], "0000000\x00")
	copy(h[124:], fmt.Sprintf("%011o\x00", size))
	copy(h[136:], "00000000000\x00")
	h[156] = typ
	copy(h[257:], "ustar\x0000")
	copy(h[148:], "        ")
	sum := 0
	for _, c := range h {
		sum += int(c)
	}
	copy(h[148:], fmt.Sprintf("%06o\x00 ", sum))
	return h
}
