package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// earlyMember spans four frames; lateArchiveT's late member is one byte
// longer, so that packOrder stores it after.
const earlyMember = 3*frameBlock + 777

// lateArchiveT ingests a multi-frame member and a larger one stored
// after it, and returns the archive and the inputs by base name.
func lateArchiveT(t *testing.T) (*Archive, map[string][]byte) {
	t.Helper()
	files := map[string][]byte{
		"dump.txt":  []byte(gotrace),
		"early.bin": wordData(11, earlyMember),
		"late.bin":  wordData(12, earlyMember+1),
	}
	a := openArchived(t, files)
	t.Cleanup(func() { a.Close() })
	return a, files
}

// dataSpan returns where art's data lies in the decoded stream.
func dataSpan(t *testing.T, a *Archive, art Artifact) (int64, int64) {
	t.Helper()
	m, err := a.OpenMember(art)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	return m.start, m.start + m.size
}

// decodeCounts returns how often each of the archive's frames has been
// decoded so far, with the index.
func decodeCounts(t *testing.T, a *Archive) ([]int32, *frameIndex) {
	t.Helper()
	x, err := a.index()
	if err != nil {
		t.Fatal(err)
	}
	defer x.release()
	n := make([]int32, len(x.decodes))
	for i := range x.decodes {
		n[i] = x.decodes[i].Load()
	}
	return n, x
}

func TestOpenDecodesOnlyTheMembersFrames(t *testing.T) {
	a, files := lateArchiveT(t)
	early, late := artifact(t, a, "early.bin"), artifact(t, a, "late.bin")
	e0, e1 := dataSpan(t, a, early)
	l0, l1 := dataSpan(t, a, late)
	if l0 < e1 {
		t.Fatalf("late member at %#x, before the early one ends at %#x", l0, e1)
	}
	t.Setenv("CORONER_CACHE_DIR", t.TempDir())

	// check reports the frames decoded since before; every frame of the
	// late member's data must have been decoded exactly once, no frame of
	// the early member's data at all.
	check := func(what string, before []int32) {
		t.Helper()
		after, x := decodeCounts(t, a)
		lateFrames := 0
		for i, st := range x.starts {
			n := after[i] - before[i]
			end := st + x.frames[i].content
			switch {
			case st < e1 && end > e0 && n != 0:
				t.Errorf("%s: decoded frame %d of the early member %d times", what, i, n)
			case st < l1 && end > l0:
				lateFrames++
				if n != 1 {
					t.Errorf("%s: decoded frame %d of the late member %d times, want once", what, i, n)
				}
			}
		}
		if lateFrames < 4 {
			t.Errorf("%s: the late member spans %d frames, want at least 4", what, lateFrames)
		}
	}

	before, _ := decodeCounts(t, a)
	rc, err := a.Open(late)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(b, files["late.bin"]) {
		t.Fatalf("Open: read %d bytes (%v), want the original %d", len(b), err, len(files["late.bin"]))
	}
	check("Open", before)

	before, _ = decodeCounts(t, a)
	p, err := a.Path(late)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := os.ReadFile(p); !bytes.Equal(c, files["late.bin"]) {
		t.Fatal("Path's copy differs from the original")
	}
	check("Path", before)
}

// alteredFrame returns the frame at fr of archive bytes b with one byte of
// its content changed, re-encoded as a valid frame: its checksum holds.
func alteredFrame(t *testing.T, b []byte, fr frameSpan) []byte {
	t.Helper()
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	content, err := dec.DecodeAll(b[fr.off:fr.off+fr.size], nil)
	if err != nil {
		t.Fatal(err)
	}
	content[len(content)/2] ^= 0x20
	altered, err := encodeFrame(content)
	if err != nil {
		t.Fatal(err)
	}
	return altered
}

// spliceFrame returns b with the frame at fr replaced by repl, resealed.
func spliceFrame(t *testing.T, b []byte, fr frameSpan, repl []byte) []byte {
	t.Helper()
	c := append(append(append([]byte(nil), b[:fr.off]...), repl...), b[fr.off+fr.size:]...)
	c, ok := reseal(c)
	if !ok {
		t.Fatal("cannot reseal")
	}
	return c
}

func TestOpenCorruptMember(t *testing.T) {
	a, files := lateArchiveT(t)
	art := artifact(t, a, "late.bin")
	good, err := os.ReadFile(a.path)
	if err != nil {
		t.Fatal(err)
	}
	fr := memberFrame(t, a, art, frameBlock+5) // the member's second frame
	altered := alteredFrame(t, good, fr)
	flipped := append([]byte(nil), good[fr.off:fr.off+fr.size]...)
	flipped[len(flipped)/2] ^= 0x40
	unsealed := append([]byte(nil), good...)
	unsealed[fr.off+fr.size/2] ^= 0x40

	dir := t.TempDir()
	t.Setenv("CORONER_CACHE_DIR", filepath.Join(dir, "cache"))
	for _, c := range []struct {
		name  string
		b     []byte
		opens bool     // Open succeeds; the read fails
		want  []string // in the error, besides the file
	}{
		{"content changed, resealed", spliceFrame(t, good, fr, altered), true, []string{art.Path, "SHA-256"}},
		{"byte flipped, resealed", spliceFrame(t, good, fr, flipped), true, []string{art.Path, fmt.Sprintf("offset %#x", fr.off)}},
		// The frame table lets the archive open without reading every
		// frame; the flipped frame fails its listed hash when read.
		{"byte flipped", unsealed, true, []string{"frame table", fmt.Sprintf("offset %#x", fr.off)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(c.name, ", ", "-")+".tar.zst")
			if err := os.WriteFile(p, c.b, 0o644); err != nil {
				t.Fatal(err)
			}
			b := &Archive{path: p, manifest: a.manifest, digest: a.digest + c.name}
			defer b.Close()
			rc, err := b.Open(art)
			if c.opens {
				if err != nil {
					t.Fatal(err)
				}
				got, rerr := io.ReadAll(rc)
				rc.Close()
				err = rerr
				if err == nil && bytes.Equal(got, files["late.bin"]) {
					t.Fatal("read the original bytes from a changed archive")
				}
			}
			wantErr(t, err, append(c.want, p)...)
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("Open: %v, want ErrCorrupt", err)
			}
			_, err = b.Path(art)
			wantErr(t, err, append(c.want, p)...)
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("Path: %v, want ErrCorrupt", err)
			}
		})
	}
}

// TestFrameBuffersConcurrent reads one member from many goroutines through
// a MemberReaderAt whose cache holds two frames, so that frames are evicted
// and their buffers reused while other readers copy, and through Open
// streams sharing the archive's index. Run it with -race.
func TestFrameBuffersConcurrent(t *testing.T) {
	a, orig := memberArchive(t, bigMember)
	art := artifact(t, a, "heap.bin")
	data := orig[art.Path]
	m, err := a.OpenMember(art)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	m.s.limit = 2 * frameBlock

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 6 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 17))
			p := make([]byte, frameBlock+frameBlock/2)
			for range 40 {
				off := rng.Int64N(int64(len(data)))
				if err := readMatches(m, data, p[:1+rng.IntN(len(p))], off); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			rc, err := a.Open(art)
			if err != nil {
				errs <- err
				return
			}
			defer rc.Close()
			if b, err := io.ReadAll(rc); err != nil || !bytes.Equal(b, data) {
				errs <- fmt.Errorf("Open: %d bytes, %v", len(b), err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	if m.s.held > m.s.limit {
		t.Errorf("cache holds %d bytes, over its %d", m.s.held, m.s.limit)
	}
}

func TestArchiveIndexShared(t *testing.T) {
	a, files := lateArchiveT(t)
	early, late := artifact(t, a, "early.bin"), artifact(t, a, "late.bin")
	m1, err := a.OpenMember(early)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := a.OpenMember(late)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := a.Open(late)
	if err != nil {
		t.Fatal(err)
	}
	x := m1.s.idx
	if m2.s.idx != x || rc.(*checkedMemberReader).r.(*sequentialMemberReader).s.idx != x {
		t.Fatal("readers of one Archive do not share its index")
	}
	if n := x.refs.Load(); n != 4 {
		t.Errorf("index has %d references, want 4 (the archive and three readers)", n)
	}

	// Readers opened before Close keep working; the file closes with the
	// last of them.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	checkRead(t, m1, files["early.bin"], 0, earlyMember)
	if b, err := io.ReadAll(rc); err != nil || !bytes.Equal(b, files["late.bin"]) {
		t.Errorf("Open after Close: %d bytes, %v", len(b), err)
	}
	rc.Close()
	m1.Close()
	if _, err := x.r.(*os.File).Stat(); err != nil {
		t.Errorf("file closed while a reader holds it: %v", err)
	}
	checkRead(t, m2, files["late.bin"], frameBlock-3, 10)
	m2.Close()
	if _, err := x.r.(*os.File).Stat(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("file after the last reader's Close: %v, want os.ErrClosed", err)
	}
	if _, err := m2.ReadAt(make([]byte, 1), 0); !errors.Is(err, os.ErrClosed) {
		t.Errorf("ReadAt after Close: %v, want os.ErrClosed", err)
	}

	// The Archive stays usable, with a new index.
	m3, err := a.OpenMember(early)
	if err != nil {
		t.Fatal(err)
	}
	defer m3.Close()
	if m3.s.idx == x {
		t.Error("Close kept the index")
	}
	checkRead(t, m3, files["early.bin"], 0, 100)
}

// TestArchiveIndexConcurrentOpen builds the index from many goroutines at
// once: it must be built once.
func TestArchiveIndexConcurrentOpen(t *testing.T) {
	a, files := lateArchiveT(t)
	b := &Archive{path: a.path, manifest: a.manifest, digest: a.digest}
	defer b.Close()
	art := artifact(t, b, "dump.txt")
	idx := make(chan *frameIndex, 8)
	var wg sync.WaitGroup
	for range cap(idx) {
		wg.Go(func() {
			m, err := b.OpenMember(art)
			if err != nil {
				t.Error(err)
				idx <- nil
				return
			}
			defer m.Close()
			checkRead(t, m, files["dump.txt"], 0, len(gotrace))
			idx <- m.s.idx
		})
	}
	wg.Wait()
	close(idx)
	first := <-idx
	for x := range idx {
		if x != first {
			t.Fatal("two indexes built for one Archive")
		}
	}
}

// TestArchiveIndexReleasedByGC drops an Archive without closing it: its
// hold on the file goes with it.
func TestArchiveIndexReleasedByGC(t *testing.T) {
	a, _ := lateArchiveT(t)
	b := &Archive{path: a.path, manifest: a.manifest, digest: a.digest}
	m, err := b.OpenMember(artifact(t, b, "dump.txt"))
	if err != nil {
		t.Fatal(err)
	}
	x := m.s.idx
	m.Close()
	b = nil
	for range 100 {
		if x.refs.Load() == 0 {
			break
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if n := x.refs.Load(); n != 0 {
		t.Fatalf("index of a collected Archive has %d references, want 0", n)
	}
	if _, err := x.r.(*os.File).Stat(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("file of a collected Archive: %v, want os.ErrClosed", err)
	}
}
