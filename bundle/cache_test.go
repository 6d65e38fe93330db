package bundle

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func inode(st os.FileInfo) uint64 { return st.Sys().(*syscall.Stat_t).Ino }

// cacheUse sums the disk use of every file under the cache directory's
// entries, partial ones included: what the bound must cap.
func cacheUse(t *testing.T, dir string) (int64, []string) {
	t.Helper()
	var total int64
	var names []string
	filepath.WalkDir(filepath.Join(dir, entriesDir), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if st, err := d.Info(); err == nil {
				total += diskUsage(st)
				names = append(names, d.Name())
			}
		}
		return nil
	})
	return total, names
}

// variantArchives writes n archives, each holding a real Go executable
// (this test binary) with i extra bytes appended, so each has its own
// SHA-256.
func variantArchives(t *testing.T, n int) []string {
	t.Helper()
	exe, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var out []string
	for i := range n {
		in := filepath.Join(dir, fmt.Sprintf("in%d", i))
		os.Mkdir(in, 0o755)
		b := append(bytes.Clone(exe), bytes.Repeat([]byte{0xcc}, i+1)...)
		if err := os.WriteFile(filepath.Join(in, "exe"), b, 0o755); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("inc%d.tar.zst", i))
		archiveDir(t, in, p, "")
		out = append(out, p)
	}
	return out
}

// pathOf opens the archive at p and asks Path for its only artifact.
func pathOf(t *testing.T, p string) (*Archive, string, Artifact) {
	t.Helper()
	a, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	art := a.Manifest().Artifacts[0]
	got, err := a.Path(art)
	if err != nil {
		t.Fatal(err)
	}
	return a, got, art
}

// Twenty archives analyzed one after the other under a bound that holds
// three of their executables: the cache never holds more than the bound,
// keeps the three used last, and a use refreshes an entry's place.
func TestCacheBoundTwentyArchives(t *testing.T) {
	archives := variantArchives(t, 20)
	dir := t.TempDir()
	t.Setenv(CacheDirEnv, dir)
	a, first, _ := pathOf(t, archives[0])
	st, _ := os.Stat(first)
	a.Close()
	one := diskUsage(st)
	bound := 3*one + one/2
	t.Setenv(CacheMaxEnv, fmt.Sprint(bound))
	keys := make([]string, len(archives))
	for i, p := range archives {
		a, got, art := pathOf(t, p)
		keys[i] = art.SHA256
		if filepath.Base(got) != art.SHA256 {
			t.Errorf("entry %s is not named by the artifact's SHA-256 %s", got, art.SHA256)
		}
		if use, names := cacheUse(t, dir); use > bound {
			t.Fatalf("archive %d in use: the cache holds %d bytes (%q), over its bound of %d", i, use, names, bound)
		}
		a.Close()
		if use, names := cacheUse(t, dir); use > bound {
			t.Fatalf("after archive %d: the cache holds %d bytes (%q), over its bound of %d", i, use, names, bound)
		}
	}
	_, names := cacheUse(t, dir)
	if want := keys[17:]; strings.Join(names, " ") != strings.Join(sorted(want), " ") {
		t.Fatalf("cache holds %q, want the three used last %q", names, want)
	}
	time.Sleep(10 * time.Millisecond)
	a, _, _ = pathOf(t, archives[17]) // used again: now the most recent
	a.Close()
	time.Sleep(10 * time.Millisecond)
	a, _, _ = pathOf(t, archives[0])
	a.Close()
	_, names = cacheUse(t, dir)
	if want := []string{keys[0], keys[17], keys[19]}; strings.Join(names, " ") != strings.Join(sorted(want), " ") {
		t.Errorf("after using 17 again and adding 0, the cache holds %q, want %q (18 least recently used)", names, want)
	}
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

// An entry larger than the bound serves its run, with a warning, and is
// gone once the archive is closed.
func TestCacheOversizedEntry(t *testing.T) {
	path, m := smallArchive(t)
	var big Artifact
	for _, art := range m.Artifacts {
		if art.Size > big.Size {
			big = art
		}
	}
	dir := t.TempDir()
	t.Setenv(CacheDirEnv, dir)
	t.Setenv(CacheMaxEnv, "4KiB")
	a, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.openCache()
	if err != nil {
		t.Fatal(err)
	}
	var warnings []string
	c.warn = func(s string) { warnings = append(warnings, s) }
	p, err := a.Path(big)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(p); err != nil || sha(b) != big.SHA256 {
		t.Fatalf("oversized entry unreadable or wrong: %v", err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "larger than its bound") || !strings.Contains(warnings[0], big.Path) {
		t.Errorf("warnings %q, want one naming %s and the bound", warnings, big.Path)
	}
	a.Close()
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("oversized entry %s still there after Close (%v)", p, err)
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// bigArchive ingests one member of n random bytes (incompressible, so
// extracting it takes a while) and returns the archive and the member.
func bigArchive(t *testing.T, n int, seed uint64) (string, Artifact) {
	t.Helper()
	in := t.TempDir()
	b := make([]byte, n)
	rng := rand.NewChaCha8([32]byte{byte(seed)})
	rng.Read(b)
	os.WriteFile(filepath.Join(in, "blob"), b, 0o644)
	p := filepath.Join(t.TempDir(), "big.tar.zst")
	m := archiveDir(t, in, p, "")
	return p, m.Artifacts[0]
}

// pathChild starts the test binary as a child that asks Path for member
// (see runPathChild); it returns the child, its stdin and its stdout.
func pathChild(t *testing.T, archive, member string, barrier bool) (*exec.Cmd, io.WriteCloser, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CORONER_TEST_CHILD=path", "CORONER_TEST_ARCHIVE="+archive, "CORONER_TEST_MEMBER="+member)
	if barrier {
		cmd.Env = append(cmd.Env, "CORONER_TEST_BARRIER=1")
	}
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, stdin, bufio.NewReader(stdout)
}

// A coroner killed while extracting leaves no entry a later run trusts:
// whatever the moment of the kill, the entry's name holds nothing or the
// whole artifact, and the next run gets the right bytes and leaves no
// partial file behind.
func TestCacheKilledMidExtraction(t *testing.T) {
	archive, art := bigArchive(t, 96<<20, 1)
	dir := t.TempDir()
	t.Setenv(CacheDirEnv, dir)
	entry := filepath.Join(dir, entriesDir, art.SHA256)
	partial := filepath.Join(dir, entriesDir, "."+art.SHA256+partialEx)

	_, _, out := pathChild(t, archive, art.Path, false)
	if line, _ := out.ReadString('\n'); line != "opened\n" {
		t.Fatalf("child: %q", line)
	}
	// How long an uninterrupted extraction takes, to kill within it.
	start := time.Now()
	if line, _ := out.ReadString('\n'); !strings.HasPrefix(line, "path ") {
		t.Fatalf("child: %q", line)
	}
	took := time.Since(start)
	t.Logf("extraction took %v", took)

	midway := 0
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 8 {
		os.Remove(entry)
		cmd, _, out := pathChild(t, archive, art.Path, false)
		if line, _ := out.ReadString('\n'); line != "opened\n" {
			t.Fatalf("child: %q", line)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(took))))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if _, err := os.Stat(partial); err == nil {
			midway++
		}
		if b, err := os.ReadFile(entry); err == nil && sha(b) != art.SHA256 {
			t.Fatalf("kill %d: the entry holds %d bytes that are not the artifact", i, len(b))
		}
	}
	if midway == 0 {
		t.Fatalf("none of the kills landed during an extraction (one takes %v): the test proved nothing", took)
	}
	t.Logf("%d of 8 kills landed mid-extraction", midway)
	a, err := Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Path(art)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(p); err != nil || sha(b) != art.SHA256 {
		t.Fatalf("after the kills, Path gives wrong bytes (%v)", err)
	}
	a.Close()
	if _, err := os.Stat(partial); !os.IsNotExist(err) {
		t.Errorf("partial file %s survived the next run (%v)", partial, err)
	}
}

// Two processes asking at once for the same content, from two archives,
// share one entry extracted once: both get the same file.
func TestCacheConcurrentSameMember(t *testing.T) {
	in := t.TempDir()
	b := make([]byte, 32<<20)
	rand.NewChaCha8([32]byte{7}).Read(b)
	os.WriteFile(filepath.Join(in, "blob"), b, 0o644)
	var archives []string
	for i, title := range []string{"first", "second"} {
		p := filepath.Join(t.TempDir(), fmt.Sprintf("a%d.tar.zst", i))
		archiveDir(t, in, p, title)
		archives = append(archives, p)
	}
	a0, _ := Open(archives[0])
	a1, _ := Open(archives[1])
	if a0.Digest() == a1.Digest() {
		t.Fatal("the two archives have the same digest")
	}
	member := a0.Manifest().Artifacts[0].Path
	dir := t.TempDir()
	t.Setenv(CacheDirEnv, dir)
	for round := range 3 {
		os.RemoveAll(filepath.Join(dir, entriesDir))
		var ins []io.WriteCloser
		var outs []*bufio.Reader
		for _, p := range archives {
			_, in, out := pathChild(t, p, member, true)
			ins, outs = append(ins, in), append(outs, out)
		}
		for _, in := range ins {
			io.WriteString(in, "go\n")
		}
		var got []string
		for _, out := range outs {
			out.ReadString('\n') // opened
			line, _ := out.ReadString('\n')
			got = append(got, strings.TrimSpace(line))
		}
		if !strings.HasPrefix(got[0], "path ") || got[0] != got[1] {
			t.Fatalf("round %d: the two processes got %q and %q, want the same path and inode", round, got[0], got[1])
		}
		if _, names := cacheUse(t, dir); len(names) != 1 {
			t.Errorf("round %d: cache holds %q, want one entry", round, names)
		}
		for _, in := range ins {
			in.Close()
		}
	}
}

// A full disk while extracting is an error naming the artifact and the
// file, and leaves neither an entry nor a partial file.
func TestCacheFullDisk(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	archive, art := bigArchive(t, 16<<20, 2)
	t.Setenv(CacheDirEnv, dir)
	t.Setenv(CacheMaxEnv, "1GiB") // above the disk: only the disk stops it
	a, err := Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	_, err = a.Path(art)
	if err == nil {
		t.Fatal("extracting 16 MiB into an 8 MiB file system succeeded")
	}
	t.Log(err)
	for _, want := range []string{art.Path, "no space left on device", filepath.Join(dir, entriesDir, "."+art.SHA256+partialEx)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if _, names := cacheUse(t, dir); len(names) != 0 {
		t.Errorf("the failed extraction left %q", names)
	}
	// The cache still works for what fits.
	small, m := smallArchive(t)
	b, err := Open(small)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Path(m.Artifacts[0]); err != nil {
		t.Errorf("after a full disk: %v", err)
	}
}
