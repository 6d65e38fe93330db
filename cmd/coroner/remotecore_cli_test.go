package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/elfcore"
	"github.com/coroner/coroner/internal/s3test"
	"github.com/coroner/coroner/internal/testcore"
)

// ballastCrash parks 20,000 goroutines on a mutex, then allocates 24 MiB
// of incompressible ballast, and crashes on a nil map write. The core's
// heap holds the goroutines' stacks in the frames after its headers,
// which only the census reads, and then the ballast, which nothing reads
// and which makes most of the archive's bytes. With 2,000 goroutines the
// stacks the census reads could all lie in the few frames the parent
// reads too (the crashed goroutine's, the runtime's variables), so that
// no damaged frame was read; 20,000 spread them over a dozen more.
const ballastCrash = `package main

import (
	"math/rand"
	"sync"
	"time"
)

var ballast []byte

type store struct{ m map[string]int }

func (s *store) put(k string) { s.m[k]++ }

func main() {
	var mu sync.Mutex
	mu.Lock()
	for i := 0; i < 20000; i++ {
		go func() { mu.Lock() }()
	}
	time.Sleep(200 * time.Millisecond)
	ballast = make([]byte, 24<<20)
	rand.New(rand.NewSource(1)).Read(ballast)
	go (&store{}).put("k")
	time.Sleep(time.Hour)
}
`

// coreArchives ingests a real crash core of ballastCrash with its
// executable into dir, one archive ID.tar.zst per id.
func coreArchives(t testing.TB, exe, dir string, ids ...string) []string {
	t.Helper()
	app := testcore.Build(t, ballastCrash)
	core, _ := testcore.Crash(t, app)
	in := t.TempDir()
	for name, src := range map[string]string{"app": app, "core": core} {
		if err := os.Link(src, filepath.Join(in, name)); err != nil {
			t.Fatal(err)
		}
	}
	var out []string
	for _, id := range ids {
		p := filepath.Join(dir, id+".tar.zst")
		if stdout, stderr, code := runCoroner(t, exe, "ingest", "-q", "--id", id, "-o", p, in); code != 0 {
			t.Fatalf("ingest: exit %d: %s %s", code, stdout, stderr)
		}
		out = append(out, p)
	}
	return out
}

// TestAnalyzeCoreInPlaceS3: an archive holding a real Go crash core is
// analysed from a real S3 endpoint in place, the census's child reading
// the core's frames by ranged requests: fewer bytes are served than the
// object holds, nothing but the executable is written into the cache, and
// the report JSON is the local file's byte for byte. A byte flipped in
// every core frame only the census reads (not the parent's checks of the
// archive and the core's headers) ends the run with exit 3, as locally.
func TestAnalyzeCoreInPlaceS3(t *testing.T) {
	exe := buildCoroner(t)
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	t.Setenv("CORONER_CACHE_DIR", cache)
	e := s3test.Serve(t, "tickets")
	local := coreArchives(t, exe, dir, "remote-core")[0]
	arch, err := os.ReadFile(local)
	if err != nil {
		t.Fatal(err)
	}
	url := upload(t, s3test.Key(e.Root, "incidents/"), []string{local})[0]
	report := func(input, out string) ([]byte, string) {
		_, stderr, code := runCoroner(t, exe, "analyze", "--format", "json", "-o", out, input)
		if code != 0 {
			t.Fatalf("analyze %s: exit %d: %s", input, code, stderr)
		}
		b, err := os.ReadFile(filepath.Join(out, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		return b, stderr
	}
	before := e.BytesServed()
	remote, stderr := report(url, filepath.Join(dir, "r-s3"))
	served := e.BytesServed() - before
	t.Logf("analyze s3:// of an archive with a core: %d bytes served of a %d-byte object", served, len(arch))
	if served >= int64(len(arch)) {
		t.Errorf("analyze in place fetched %d bytes of a %d-byte object", served, len(arch))
	}
	if !strings.Contains(stderr, "in place") {
		t.Errorf("analyze s3:// did not say it read in place:\n%s", stderr)
	}
	if !bytes.Contains(remote, []byte("coroner frame-pointer reader")) {
		t.Errorf("the report holds no census from the core:\n%s", remote)
	}
	m := manifestOf(t, local)
	bin, _ := m.Artifact(m.ArtifactsOf(bundle.KindGoBinary)[0].Path)
	entries, _ := os.ReadDir(filepath.Join(cache, "entries"))
	var names []string
	for _, en := range entries {
		names = append(names, en.Name())
	}
	if !slices.Equal(names, []string{bin.SHA256}) {
		t.Errorf("cache entries after analyze in place: %v, want only the executable's %s", names, bin.SHA256)
	}
	if ents, _ := os.ReadDir(filepath.Join(cache, "fetched")); len(ents) != 0 {
		t.Errorf("analyze in place fetched %d files", len(ents))
	}
	if want, _ := report(local, filepath.Join(dir, "r-local")); !bytes.Equal(remote, want) {
		t.Errorf("report of s3:// differs from the local file's:\n%s\n%s", remote, want)
	}

	bad := bytes.Clone(arch)
	frames := censusOnlyFrames(t, local)
	for _, f := range frames {
		bad[f.off+f.size/2] ^= 0x40
	}
	t.Logf("flipped a byte in %d core frames the parent does not read", len(frames))
	badPath := filepath.Join(dir, "bad", "bad.tar.zst")
	os.MkdirAll(filepath.Dir(badPath), 0o755)
	if err := os.WriteFile(badPath, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	badURL := upload(t, s3test.Key(e.Root, "damaged/"), []string{badPath})[0]
	for _, input := range []string{badURL, badPath} {
		_, stderr, code := runCoroner(t, exe, "analyze", "--format", "json", "-o", filepath.Join(dir, "r-bad"), input)
		if code != 3 {
			t.Errorf("analyze %s of flipped core frames: exit %d, want 3: %s", input, code, stderr)
		}
		// The census's child met the damage: its exit says so.
		if input == badURL && (!strings.Contains(stderr, "does not hash to what the frame table lists") || !strings.Contains(stderr, "worker core-census-object")) {
			t.Errorf("analyze s3:// of flipped core frames does not name the census child's frame check:\n%s", stderr)
		}
	}
}

// manifestOf returns the manifest of the archive at path.
func manifestOf(t *testing.T, path string) *bundle.Manifest {
	t.Helper()
	a, err := bundle.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	return a.Manifest()
}

// span is a frame's compressed bytes in an archive.
type span struct{ off, size int }

// frameTable returns the frames the archive's frame table lists: it ends
// with its record count before the 40-byte seal, after records of offset,
// size, decoded size (u64 each) and SHA-256.
func frameTable(t *testing.T, arch []byte) []span {
	t.Helper()
	const seal, record = 40, 3*8 + 32
	n := int(binary.LittleEndian.Uint64(arch[len(arch)-seal-8:]))
	recs := len(arch) - seal - 8 - n*record
	if n <= 0 || recs < 0 {
		t.Fatalf("no frame table: %d records", n)
	}
	var out []span
	for i := range n {
		r := arch[recs+i*record:]
		out = append(out, span{int(binary.LittleEndian.Uint64(r)), int(binary.LittleEndian.Uint64(r[8:]))})
	}
	return out
}

// readLog is an io.ReaderAt over a file that records which of the
// archive's frames its reads touch.
type readLog struct {
	f      *os.File
	frames []span
	mu     sync.Mutex
	read   map[span]bool
}

func (r *readLog) ReadAt(p []byte, off int64) (int, error) {
	r.mu.Lock()
	for _, f := range r.frames {
		if int64(f.off) < off+int64(len(p)) && off < int64(f.off+f.size) {
			r.read[f] = true
		}
	}
	r.mu.Unlock()
	return r.f.ReadAt(p, off)
}

// censusOnlyFrames returns the frames of the archive's core that the
// parent of an in-place analysis does not read: not the tail, the
// manifest or the tar headers the structure check reads, not the core's
// headers and notes the parent validates, and none holding the
// executable, which is extracted.
func censusOnlyFrames(t *testing.T, path string) []span {
	t.Helper()
	arch, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	log := &readLog{f: f, frames: frameTable(t, arch), read: map[span]bool{}}
	a, err := bundle.OpenReaderAt(log, int64(len(arch)), path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.CheckSealed(); err != nil {
		t.Fatal(err)
	}
	m := a.Manifest()
	readAll := func(art bundle.Artifact) {
		mr, err := a.OpenMember(art)
		if err != nil {
			t.Fatal(err)
		}
		defer mr.Close()
		if _, err := io.Copy(io.Discard, io.NewSectionReader(mr, 0, mr.Size())); err != nil {
			t.Fatal(err)
		}
	}
	readAll(m.ArtifactsOf(bundle.KindGoBinary)[0])
	core := m.ArtifactsOf(bundle.KindCore)[0]
	mr, err := a.OpenMember(core)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := elfcore.Validate(mr, mr.Size()); err != nil {
		t.Fatal(err)
	}
	mr.Close()
	parent := log.read
	log.read = map[span]bool{}
	readAll(core)
	var only []span
	for _, fr := range log.frames {
		if log.read[fr] && !parent[fr] {
			only = append(only, fr)
		}
	}
	if len(only) == 0 {
		t.Fatalf("every frame of the core is read by the parent too")
	}
	return only
}

// TestBatchCoresInPlaceS3: a batch over an S3 prefix of archives holding
// real crash cores analyses those with a frame table in place and fetches
// whole the one the zstd CLI recompressed (no frame table): the results
// are the local batch's byte for byte, and the endpoint serves less than
// the objects' total though it serves the tableless one whole. A re-run
// skips them all; an archive with core frames only the census reads
// damaged fails with exit 3, as the batch does.
func TestBatchCoresInPlaceS3(t *testing.T) {
	zstd, err := exec.LookPath("zstd")
	if err != nil {
		t.Skip("zstd CLI not installed: needed to make an archive without a frame table")
	}
	exe := buildCoroner(t)
	dir := t.TempDir()
	t.Setenv("CORONER_CACHE_DIR", filepath.Join(dir, "cache"))
	e := s3test.Serve(t, "fleet")
	in := filepath.Join(dir, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	archives := coreArchives(t, exe, in, "core-a", "core-b", "core-c")
	tableless := archives[2]
	sh := `"$0" -d -q -c "$1" | "$0" -q -3 -f -o "$1.re" && mv "$1.re" "$1"`
	if out, err := exec.Command("/bin/sh", "-c", sh, zstd, tableless).CombinedOutput(); err != nil {
		t.Fatalf("recompressing %s: %v: %s", tableless, err, out)
	}
	var total, tablelessSize int64
	for _, a := range archives {
		st, err := os.Stat(a)
		if err != nil {
			t.Fatal(err)
		}
		total += st.Size()
		if a == tableless {
			tablelessSize = st.Size()
		}
	}
	prefix := s3test.Key(e.Root, "incidents/")
	upload(t, prefix, archives)
	results := func(out string) map[string][]byte {
		files, _ := filepath.Glob(filepath.Join(out, "results", "*.json"))
		m := map[string][]byte{}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m[filepath.Base(f)] = b
		}
		return m
	}
	before := e.BytesServed()
	remoteOut := filepath.Join(dir, "out-s3")
	if _, stderr, code := runCoroner(t, exe, "batch", "--jobs", "1", "-o", remoteOut, prefix); code != 0 {
		t.Fatalf("batch over s3://: exit %d: %s", code, stderr)
	}
	served := e.BytesServed() - before
	t.Logf("batch over s3:// of %d archives with cores (one without a frame table, %d bytes): %d bytes served of %d", len(archives), tablelessSize, served, total)
	if served >= total || served < tablelessSize {
		t.Errorf("batch served %d bytes of %d: want less than all, and the tableless archive's %d whole", served, total, tablelessSize)
	}
	localOut := filepath.Join(dir, "out-local")
	if _, stderr, code := runCoroner(t, exe, "batch", "--jobs", "1", "-o", localOut, in); code != 0 {
		t.Fatalf("local batch: exit %d: %s", code, stderr)
	}
	remote, local := results(remoteOut), results(localOut)
	if len(local) != len(archives) {
		t.Fatalf("local batch stored %d results, want %d", len(local), len(archives))
	}
	for name, want := range local {
		if got, ok := remote[name]; !ok || !bytes.Equal(got, want) {
			t.Errorf("result %s of the s3:// batch differs from the local batch's (present: %v)", name, ok)
		}
	}
	if len(remote) != len(local) {
		t.Errorf("s3:// batch stored %d results, local %d", len(remote), len(local))
	}

	before = e.BytesServed()
	if _, stderr, code := runCoroner(t, exe, "batch", "--jobs", "1", "-o", remoteOut, prefix); code != 0 {
		t.Fatalf("batch over s3:// again: exit %d: %s", code, stderr)
	}
	if again := e.BytesServed() - before; again >= tablelessSize/8 {
		t.Errorf("a re-run of the finished batch took %d bytes", again)
	}
	var sum struct {
		Entries []struct {
			Error    string `json:"error"`
			ExitCode int    `json:"exit_code"`
		} `json:"entries"`
		Failed int `json:"failed"`
	}
	readSummary := func(out string) {
		b, err := os.ReadFile(filepath.Join(out, "summary.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &sum); err != nil {
			t.Fatal(err)
		}
	}

	bad, err := os.ReadFile(archives[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range censusOnlyFrames(t, archives[0]) {
		bad[f.off+f.size/2] ^= 0x40
	}
	badPath := filepath.Join(dir, "bad", "bad.tar.zst")
	os.MkdirAll(filepath.Dir(badPath), 0o755)
	if err := os.WriteFile(badPath, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	damaged := s3test.Key(e.Root, "damaged/")
	upload(t, damaged, []string{badPath})
	badOut := filepath.Join(dir, "out-bad")
	// A fresh cache: the intact archives' batches may have extracted the
	// same core into it (for delve, when coroner's reader refused it), and
	// an entry is keyed by the member's SHA-256, which the damaged copy's
	// manifest shares; the damaged frames would then rightly never be read.
	t.Setenv("CORONER_CACHE_DIR", filepath.Join(dir, "cache-bad"))
	if _, stderr, code := runCoroner(t, exe, "batch", "--jobs", "1", "-o", badOut, damaged); code != 3 {
		t.Errorf("batch of an archive with damaged core frames: exit %d, want 3: %s", code, stderr)
	}
	readSummary(badOut)
	if sum.Failed != 1 || len(sum.Entries) != 1 || sum.Entries[0].ExitCode != 3 || !strings.Contains(sum.Entries[0].Error, "does not hash to what the frame table lists") {
		t.Errorf("summary of the damaged batch: %+v", sum)
	}
}
