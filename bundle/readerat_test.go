package bundle

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// wordData returns size bytes of log-like text (words and numbers): no
// zero bytes, so a frame decoded to zeros or shifted shows, and
// compressible enough that frames hold real zstd blocks.
func wordData(seed uint64, size int) []byte {
	words := []string{"request ", "timeout ", "deadline ", "connection ", "mutex ", "channel ", "goroutine ", "heap "}
	rng := rand.New(rand.NewPCG(seed, seed+1))
	buf := make([]byte, 0, size+64)
	for len(buf) < size {
		buf = append(buf, words[rng.IntN(len(words))]...)
		if rng.IntN(4) == 0 {
			buf = strconv.AppendUint(buf, rng.Uint64()>>24, 10)
			buf = append(buf, ' ')
		}
	}
	return buf[:size]
}

// bigMember is the size of the member spanning many frames: more than
// four frames, not a multiple of the tar record, and over maxFrameContent
// so that the whole stream re-encoded as one frame declares too much.
const bigMember = maxFrameContent + frameBlock/2 + 12345

// openArchived archives files (by base name) and opens the archive.
func openArchived(t *testing.T, files map[string][]byte) *Archive {
	t.Helper()
	out, _ := archiveFiles(t, files)
	a, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// memberArchive ingests a big member and a few small ones, and returns the
// archive and every artifact's original bytes by member name.
func memberArchive(t *testing.T, big int) (*Archive, map[string][]byte) {
	t.Helper()
	files := map[string][]byte{
		"heap.bin": wordData(1, big),
		"dump.txt": []byte(gotrace),
		"gc.log":   []byte("gc 1 @0.012s 2%: 0.010+0.5+0.003 ms clock, 0.04+0.1/0.4/0.9+0.01 ms cpu, 4->4->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 4 P\n"),
		"mid.bin":  wordData(2, 300_000),
	}
	a := openArchived(t, files)
	orig := map[string][]byte{}
	for _, art := range a.Manifest().Artifacts {
		orig[art.Path] = files[path.Base(art.Original)]
		if orig[art.Path] == nil {
			t.Fatalf("no input for %s (original %s)", art.Path, art.Original)
		}
	}
	return a, orig
}

// artifact returns the artifact stored from the input named base.
func artifact(t testing.TB, a *Archive, base string) Artifact {
	t.Helper()
	for _, art := range a.Manifest().Artifacts {
		if path.Base(art.Original) == base {
			return art
		}
	}
	t.Fatalf("no artifact from %s", base)
	return Artifact{}
}

// checkRead reads n bytes at off and checks the count, the bytes against
// orig and io.ReaderAt's end-of-file rule (io.EOF when short; either nil
// or io.EOF when the read reaches the end exactly).
func checkRead(t *testing.T, m *MemberReaderAt, orig []byte, off int64, n int) {
	t.Helper()
	p := make([]byte, n)
	got, err := m.ReadAt(p, off)
	var want []byte
	if off < int64(len(orig)) {
		want = orig[off:min(int(off)+n, len(orig))]
	}
	switch {
	case got != len(want):
		t.Fatalf("ReadAt(%d bytes at %#x) = %d bytes (%v), want %d", n, off, got, err, len(want))
	case len(want) < n && !errors.Is(err, io.EOF):
		t.Fatalf("ReadAt(%d bytes at %#x) past the end: error %v, want io.EOF", n, off, err)
	case len(want) == n && err != nil && !(errors.Is(err, io.EOF) && off+int64(n) >= int64(len(orig))):
		t.Fatalf("ReadAt(%d bytes at %#x): %v", n, off, err)
	case !bytes.Equal(p[:got], want):
		t.Fatalf("ReadAt(%d bytes at %#x) returned bytes different from the original", n, off)
	}
}

func TestMemberReaderReadAt(t *testing.T) {
	a, orig := memberArchive(t, bigMember)
	for _, art := range a.Manifest().Artifacts {
		m, err := a.OpenMember(art)
		if err != nil {
			t.Fatal(err)
		}
		if m.Size() != int64(len(orig[art.Path])) {
			t.Errorf("%s: Size %d, want %d", art.Path, m.Size(), len(orig[art.Path]))
		}
		checkRead(t, m, orig[art.Path], 0, len(orig[art.Path]))
		m.Close()
	}

	art := artifact(t, a, "heap.bin")
	m, err := a.OpenMember(art)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	// Locating the member decoded frames holding headers, none of its data.
	for i := range m.s.cache {
		if st := m.s.idx.starts[i]; st >= m.start && st < m.start+m.size {
			t.Errorf("opening decoded frame %d, at %#x in the member's data", i, st-m.start)
		}
	}
	data := orig[art.Path]
	size := int64(len(data))
	fb := int64(frameBlock)
	for _, c := range []struct {
		off int64
		n   int
	}{
		{0, 0}, {0, 1}, {fb - 1, 2}, {fb - 100, 200}, {2*fb - 1, 1}, {2 * fb, 1},
		{fb - 10, 2*frameBlock + 20}, // three frames
		{size - 10, 10}, {size - 10, 20}, {size - 1, 1}, {size, 1}, {size, 0}, {size + 100, 8}, {0, len(data) + 1},
	} {
		checkRead(t, m, data, c.off, c.n)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		off := rng.Int64N(size + 10)
		n := rng.IntN(3 << 20)
		if rng.IntN(4) == 0 {
			n = rng.IntN(9 << 10)
		}
		checkRead(t, m, data, off, n)
	}
	m.s.mu.Lock()
	held := m.s.held
	m.s.mu.Unlock()
	// A frame read ahead may land while the reader's frame is pinned.
	if held > memberCacheBytes+frameBlock {
		t.Errorf("cache holds %d bytes of frames, over its bound", held)
	}
	if _, err := m.ReadAt(make([]byte, 1), -1); err == nil {
		t.Error("negative offset accepted")
	}
}

// TestMemberReaderForward: a reader opened to read forward reads every
// member whole, then in 64 KiB reads from start to end decoding each of
// its frames once and keeping about forwardCacheBytes of them, and still
// answers reads elsewhere.
func TestMemberReaderForward(t *testing.T) {
	a, orig := memberArchive(t, bigMember)
	for _, art := range a.Manifest().Artifacts {
		m, err := a.OpenMemberForward(art)
		if err != nil {
			t.Fatal(err)
		}
		checkRead(t, m, orig[art.Path], 0, len(orig[art.Path]))
		m.Close()
	}
	art := artifact(t, a, "heap.bin")
	data := orig[art.Path]
	m, err := a.OpenMemberForward(art)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for off := int64(0); off < int64(len(data)); off += 64 << 10 {
		checkRead(t, m, data, off, 64<<10)
		m.s.mu.Lock()
		held := m.s.held
		m.s.mu.Unlock()
		// A frame read ahead may land while the reader's frame is pinned.
		if held > forwardCacheBytes+frameBlock {
			t.Fatalf("at %#x the cache holds %d bytes of frames, over its bound", off, held)
		}
	}
	// Each frame holding the data once, and a frame read ahead at most
	// beyond the last (the tar padding after it).
	if frames := int64(len(data))/frameBlock + 2; m.Decoded() > (frames+1)*frameBlock {
		t.Errorf("decoded %d bytes to read %d forward", m.Decoded(), len(data))
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 50 {
		checkRead(t, m, data, rng.Int64N(int64(len(data))), rng.IntN(1<<20))
	}
}

func TestMemberReaderConcurrent(t *testing.T) {
	a, orig := memberArchive(t, bigMember)
	art := artifact(t, a, "heap.bin")
	m, err := a.OpenMember(art)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	data := orig[art.Path]
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 9))
			p := make([]byte, 256<<10)
			for range 100 {
				if err := readMatches(m, data, p, rng.Int64N(int64(len(data)))); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// readMatches reads len(p) bytes at off from r and checks them against
// data, the member's content.
func readMatches(r io.ReaderAt, data, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if !bytes.Equal(p[:n], data[off:off+int64(n)]) {
		return fmt.Errorf("wrong bytes at %#x", off)
	}
	return nil
}

func TestMemberReaderMissingAndMismatched(t *testing.T) {
	a, _ := memberArchive(t, 1<<20)
	art := artifact(t, a, "heap.bin")
	missing := art
	missing.Path = ArtifactDir + "core/none"
	if _, err := a.OpenMember(missing); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing member: %v, want ErrNotFound", err)
	}
	wrong := art
	wrong.Size++
	_, err := a.OpenMember(wrong)
	wantErr(t, err, a.path, art.Path, "manifest says")
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("size mismatch: %v, want ErrCorrupt", err)
	}
	m, err := a.OpenMember(art)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.ReadAt(make([]byte, 10), 0); !errors.Is(err, os.ErrClosed) {
		t.Errorf("ReadAt after Close: %v, want os.ErrClosed", err)
	}
}

// splitFrames returns the [start, end) of every frame in b, or false when
// b is not a sequence of whole frames.
func splitFrames(b []byte) ([][2]int, bool) {
	var spans [][2]int
	for off := 0; off < len(b); {
		if len(b)-off < 8 {
			return nil, false
		}
		magic := binary.LittleEndian.Uint32(b[off:])
		end := 0
		switch {
		case magic&0xFFFFFFF0 == 0x184D2A50:
			end = off + 8 + int(binary.LittleEndian.Uint32(b[off+4:]))
		case magic == binary.LittleEndian.Uint32(magicZstd):
			var n int64
			br := bufio.NewReader(bytes.NewReader(b[off+4:]))
			read := func(k int64) error {
				c, err := io.CopyN(io.Discard, br, k)
				n += c
				return err
			}
			if _, err := walkZstdFrame(br, read, "", &n); err != nil {
				return nil, false
			}
			end = off + 4 + int(n)
		default:
			return nil, false
		}
		if end <= off || end > len(b) {
			return nil, false
		}
		spans = append(spans, [2]int{off, end})
		off = end
	}
	return spans, true
}

// reseal replaces b's seal with one over its frames as they are, so that
// a damaged frame gets past the seal and reaches the decoder.
func reseal(b []byte) ([]byte, bool) {
	spans, ok := splitFrames(b)
	if !ok {
		return nil, false
	}
	var (
		sums    [][32]byte
		records []frameRecord
		table   bool
	)
	for _, s := range spans {
		switch binary.LittleEndian.Uint32(b[s[0]:]) {
		case sealMagic:
			b = b[:s[0]]
		case tableMagic:
			table = true
			b = b[:s[0]]
		default:
			sums = append(sums, sha256.Sum256(b[s[0]:s[1]]))
			records = append(records, frameRecord{off: int64(s[0]), size: int64(s[1] - s[0]), content: spanContent(b[s[0]:s[1]]), sum: sums[len(sums)-1]})
			continue
		}
		break
	}
	out := append([]byte(nil), b...)
	if table {
		tf := tableFrame(records)
		sums = append(sums, sha256.Sum256(tf))
		out = append(out, tf...)
	}
	return append(out, sealFrame(sumOfSums(sums))...), true
}

// spanContent is the decoded size the zstd frame b declares, or -1 for a
// skippable frame.
func spanContent(b []byte) int64 {
	if binary.LittleEndian.Uint32(b) != binary.LittleEndian.Uint32(magicZstd) {
		return -1
	}
	var n int64
	br := bufio.NewReader(bytes.NewReader(b[4:]))
	fs, err := walkZstdFrame(br, func(k int64) error { _, err := io.CopyN(io.Discard, br, k); return err }, "", &n)
	if err != nil {
		return -1
	}
	return fs.content
}

// memberFrame returns the compressed span of the frame holding byte off
// of art's data.
func memberFrame(t *testing.T, a *Archive, art Artifact, off int64) frameSpan {
	t.Helper()
	m, err := a.OpenMember(art)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for i, st := range m.s.idx.starts {
		if st <= m.start+off && m.start+off < st+m.s.idx.frames[i].content {
			return m.s.idx.frames[i]
		}
	}
	t.Fatalf("no frame holds %#x", off)
	return frameSpan{}
}

// readChecked reads the whole member in 1 MiB pieces, failing on any
// byte that differs from orig, and returns the first error.
func readChecked(t *testing.T, m *MemberReaderAt, orig []byte) error {
	t.Helper()
	p := make([]byte, 1<<20)
	for off := int64(0); ; off += int64(len(p)) {
		n, err := m.ReadAt(p, off)
		if !bytes.Equal(p[:n], orig[off:off+int64(n)]) {
			t.Fatalf("bytes at %#x differ from the original", off)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func TestMemberReaderCorrupt(t *testing.T) {
	a, orig := memberArchive(t, bigMember)
	art := artifact(t, a, "heap.bin")
	data := orig[art.Path]
	good, err := os.ReadFile(a.path)
	if err != nil {
		t.Fatal(err)
	}
	fr := memberFrame(t, a, art, frameBlock+5) // the member's second frame
	dir := t.TempDir()
	open := func(name string, b []byte) (*Archive, string) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return &Archive{path: p, manifest: a.manifest, digest: a.digest}, p
	}
	flip := func(b []byte, at int64) []byte {
		c := append([]byte(nil), b...)
		c[at] ^= 0x40
		return c
	}

	t.Run("flipped byte", func(t *testing.T) {
		// The frame table opens the archive without reading every frame;
		// the flipped frame fails its listed hash when it is read.
		b, p := open("flip.tar.zst", flip(good, fr.off+fr.size/2))
		m, err := b.OpenMember(art)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		_, err = m.ReadAt(make([]byte, 10), frameBlock+5)
		wantErr(t, err, p, "frame table", fmt.Sprintf("offset %#x", fr.off))
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%v, want ErrCorrupt", err)
		}
		if verr := Verify(p); !errors.Is(verr, ErrCorrupt) {
			t.Errorf("Verify: %v, want ErrCorrupt", verr)
		}
	})

	t.Run("cut", func(t *testing.T) {
		for _, n := range []int64{fr.off + fr.size/2, fr.off + fr.size, int64(len(good)) - sealSize, int64(len(good)) - 1, int64(len(good)) / 2} {
			b, p := open("cut.tar.zst", good[:n])
			_, err := b.OpenMember(art)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), p) {
				t.Errorf("cut at %#x: %v, want ErrCorrupt naming the file", n, err)
			}
		}
	})

	// Past a forged seal, the frame's content checksum still refuses it.
	t.Run("flipped byte, resealed", func(t *testing.T) {
		c, ok := reseal(flip(good, fr.off+fr.size/2))
		if !ok {
			t.Fatal("cannot reseal")
		}
		b, p := open("resealed.tar.zst", c)
		m, err := b.OpenMember(art)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		checkRead(t, m, data, 0, 4096)
		checkRead(t, m, data, 3*frameBlock, 4096)
		for range 2 { // a failed frame is not cached
			_, err = m.ReadAt(make([]byte, 10), frameBlock+100)
			wantErr(t, err, p, art.Path, fmt.Sprintf("offset %#x", fr.off))
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("%v, want ErrCorrupt", err)
			}
		}
		if err := readChecked(t, m, data); !errors.Is(err, ErrCorrupt) {
			t.Errorf("reading the whole member: %v, want ErrCorrupt", err)
		}
	})

	// A frame declaring one byte less than it holds shifts the stream; it
	// must not decode, and nothing read may differ from the original.
	t.Run("content size, resealed", func(t *testing.T) {
		c := append([]byte(nil), good...)
		fhd := c[fr.off+4]
		if fhd>>6 != 2 {
			t.Fatalf("frame header %#x: want a 4-byte content size", fhd)
		}
		at := fr.off + 5
		if fhd&0x20 == 0 {
			at++ // window descriptor
		}
		binary.LittleEndian.PutUint32(c[at:], binary.LittleEndian.Uint32(c[at:])-1)
		c, _ = reseal(c)
		b, _ := open("fcs.tar.zst", c)
		m, err := b.OpenMember(art)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%v, want ErrCorrupt", err)
			}
			return
		}
		defer m.Close()
		_, err = m.ReadAt(make([]byte, 10), frameBlock+100)
		wantErr(t, err, fmt.Sprintf("offset %#x", fr.off))
		if err := readChecked(t, m, data); !errors.Is(err, ErrCorrupt) {
			t.Errorf("reading the whole member: %v, want ErrCorrupt", err)
		}
	})
}

// tarStream decodes the archive's tar stream, skipping the skippable
// frames.
func tarStream(t *testing.T, p string) []byte {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := zstd.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	b, err := io.ReadAll(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sealed appends a seal over b's frames.
func sealed(t *testing.T, b []byte) []byte {
	t.Helper()
	spans, ok := splitFrames(b)
	if !ok {
		t.Fatal("not a sequence of frames")
	}
	var sums [][32]byte
	for _, s := range spans {
		sums = append(sums, sha256.Sum256(b[s[0]:s[1]]))
	}
	return append(b, sealFrame(sumOfSums(sums))...)
}

func TestMemberReaderNoRandomAccess(t *testing.T) {
	a, orig := memberArchive(t, bigMember)
	art := artifact(t, a, "heap.bin")
	stream := tarStream(t, a.path)

	var streamed bytes.Buffer // klauspost's streaming encoder does not know the size
	enc, err := zstd.NewWriter(&streamed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := enc.Write(stream); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	whole, err := encodeFrame(stream) // one frame declaring the whole stream
	if err != nil {
		t.Fatal(err)
	}
	noCRC, err := zstd.NewWriter(nil, zstd.WithEncoderCRC(false))
	if err != nil {
		t.Fatal(err)
	}
	var unchecked []byte // frames of frameBlock without content checksums
	for off := 0; off < len(stream); off += frameBlock {
		unchecked = noCRC.EncodeAll(stream[off:min(off+frameBlock, len(stream))], unchecked)
	}

	dir := t.TempDir()
	t.Setenv("CORONER_CACHE_DIR", filepath.Join(dir, "cache"))
	for _, c := range []struct {
		name, want string
		b          []byte
	}{
		{"streamed", "does not declare its decoded size", streamed.Bytes()},
		{"streamed, sealed", "does not declare its decoded size", sealed(t, streamed.Bytes())},
		{"one frame", "over the", whole},
		{"one frame, sealed", "over the", sealed(t, whole)},
		{"no checksums, sealed", "no content checksum", sealed(t, unchecked)},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(c.name, ", ", "-")+".tar.zst")
			if err := os.WriteFile(p, c.b, 0o644); err != nil {
				t.Fatal(err)
			}
			b, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			_, err = b.OpenMember(art)
			wantErr(t, err, p, c.want)
			if !errors.Is(err, ErrNoRandomAccess) {
				t.Fatalf("%v, want ErrNoRandomAccess", err)
			}
			got, err := b.Path(art) // the fallback
			if err != nil {
				t.Fatal(err)
			}
			if x, _ := os.ReadFile(got); !bytes.Equal(x, orig[art.Path]) {
				t.Error("Path's copy differs from the original")
			}
			rc, err := b.Open(art) // the old stream, too
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			if x, err := io.ReadAll(rc); err != nil || !bytes.Equal(x, orig[art.Path]) {
				t.Errorf("Open: %d bytes (%v), want the original", len(x), err)
			}
		})
	}
}

// FuzzMemberReader mutates a small archive. Opening a member and reading
// it must never panic, and whatever it returns without error must be the
// original bytes. The mutated archive is then resealed, so that damaged
// frames reach the tar reader and the decoder; that must not panic either
// (there only the frames' checksums stand between a reader and damaged
// content, and a duplicated frame passes them, so bytes are not compared).
func FuzzMemberReader(f *testing.F) {
	in := f.TempDir()
	files := map[string][]byte{
		"dump.txt": []byte(gotrace),
		"a.bin":    wordData(7, 20_000),
		"b.bin":    wordData(8, 3_000),
	}
	for name, b := range files {
		os.WriteFile(filepath.Join(in, name), b, 0o644)
	}
	p := filepath.Join(f.TempDir(), "seed.tar.zst")
	m := archiveDir(f, in, p, "")
	seed, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(seed[:len(seed)-sealSize])
	f.Add(bytes.Replace(seed, []byte("goroutine"), []byte("Goroutine"), 1))
	flipped := append([]byte(nil), seed...)
	flipped[len(flipped)/2] ^= 1
	f.Add(flipped)
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "a.tar.zst")
		try := func(b []byte, compare bool) {
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			a := &Archive{path: p, manifest: m}
			defer a.Close()
			for _, art := range m.Artifacts {
				r, err := a.OpenMember(art)
				if err != nil {
					continue
				}
				want := files[path.Base(art.Original)]
				for _, w := range [][2]int64{{0, r.Size() + 1}, {r.Size() / 3, 100}, {r.Size() - 1, 2}} {
					buf := make([]byte, w[1])
					n, err := r.ReadAt(buf, w[0])
					if compare && (err == nil || errors.Is(err, io.EOF)) && !bytes.Equal(buf[:n], want[w[0]:w[0]+int64(n)]) {
						t.Fatalf("%s: %d bytes at %#x differ from the original", art.Path, n, w[0])
					}
				}
				r.Close()
			}
		}
		try(data, true)
		if b, ok := reseal(data); ok {
			try(b, false)
		}
	})
}

// TestMemberReaderView: a view holds the member's bytes of the frame that
// holds the offset asked for, clipped to the member (a small member
// shares its frame with others), and stays valid until released though
// the reader decodes other frames meanwhile.
func TestMemberReaderView(t *testing.T) {
	a, orig := memberArchive(t, bigMember)
	defer a.Close()
	for _, base := range []string{"heap.bin", "mid.bin", "gc.log"} {
		art := artifact(t, a, base)
		data := orig[art.Path]
		m, err := a.OpenMember(art)
		if err != nil {
			t.Fatal(err)
		}
		size := int64(len(data))
		offs := []int64{0, 1, size - 1, size / 2}
		for k := int64(frameBlock) - 1; k < size; k += frameBlock {
			offs = append(offs, k, k+1)
		}
		var held []func()
		var kept [][]byte
		var keptAt []int64
		for _, off := range offs {
			if off < 0 || off >= size {
				continue
			}
			b, at, release, err := m.View(off)
			if err != nil {
				t.Fatalf("%s: view at %d: %v", base, off, err)
			}
			if at < 0 || at > off || off >= at+int64(len(b)) || at+int64(len(b)) > size || len(b) > frameBlock {
				t.Fatalf("%s: view at %d holds [%d, %d) of %d bytes", base, off, at, at+int64(len(b)), size)
			}
			if !bytes.Equal(b, data[at:at+int64(len(b))]) {
				t.Fatalf("%s: view at %d: bytes differ from the member's [%d, %d)", base, off, at, at+int64(len(b)))
			}
			held, kept, keptAt = append(held, release), append(kept, b), append(keptAt, at)
		}
		// Reads all over the member evict every frame viewed; the views
		// still hold their bytes.
		for off := int64(0); off < size; off += 256 << 10 {
			checkRead(t, m, data, off, 4096)
		}
		for i, b := range kept {
			if !bytes.Equal(b, data[keptAt[i]:keptAt[i]+int64(len(b))]) {
				t.Fatalf("%s: view %d changed while held", base, i)
			}
		}
		for _, release := range held {
			release()
		}
		for _, off := range []int64{-1, size} {
			if _, _, _, err := m.View(off); err == nil {
				t.Errorf("%s: view at %d of %d bytes: no error", base, off, size)
			}
		}
		m.Close()
	}
}
