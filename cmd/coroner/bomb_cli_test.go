package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/pprofdata"
)

// bombBytes is how much the crafted profile inflates to: 16 times the
// decoder's cap, so a reader without the cap would hold 1 GiB.
const bombBytes = 16 * pprofdata.MaxBytes

// bombRSS bounds a command's peak memory on the bomb, far below the 1 GiB
// it inflates to: the analyzers that read profiles decode them in
// parallel (as many as GOMAXPROCS), each holding at most the cap (64 MiB)
// while its buffer grows to it, plus the program's own working set.
const bombRSS = 768 << 20

// gzipBomb compresses n zero bytes (about 1 MiB of gzip per GiB).
func gzipBomb(t *testing.T, n int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zero := make([]byte, 1<<20)
	for left := n; left > 0; left -= int64(len(zero)) {
		if _, err := zw.Write(zero[:min(left, int64(len(zero)))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// craftArchive writes a validly sealed archive whose manifest calls each
// of members (name → bytes) a pprof profile of the given type: what anyone
// can make, as the seal is an unkeyed hash.
func craftArchive(t *testing.T, members map[string][]byte, profileType string) string {
	t.Helper()
	m := &bundle.Manifest{FormatVersion: bundle.FormatVersion, ID: "inc-crafted", Tool: "test"}
	for name, b := range members {
		sum := sha256.Sum256(b)
		m.Artifacts = append(m.Artifacts, bundle.Artifact{Path: bundle.ArtifactDir + string(bundle.KindPprof) + "/" + name,
			Kind: bundle.KindPprof, Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:]), Original: name,
			Attrs: map[string]string{"profile_type": profileType}})
	}
	path := filepath.Join(t.TempDir(), "crafted.tar.zst")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := bundle.NewArchiveWriter(f, m)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range m.Artifacts {
		if _, err := w.WriteMember(a.Path, a.Size, bytes.NewReader(members[a.Original])); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Finish(m); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestGzipBombProfileRefused: a sealed archive whose pprof members inflate
// to 1 GiB is read by analyze, goroutines and batch through the capped
// decoder: each names the profile as refused and stays within bombRSS.
func TestGzipBombProfileRefused(t *testing.T) {
	exe := buildCoroner(t)
	bomb := gzipBomb(t, bombBytes)
	analyzeOut, batchOut := t.TempDir(), t.TempDir()
	for _, tc := range []struct {
		name, profileType string
		args              []string
		out               string // where the command writes what it says
	}{
		{"analyze", "cpu", []string{"analyze", "--format", "json", "-o", analyzeOut}, analyzeOut},
		{"goroutines", "goroutine", []string{"goroutines"}, ""},
		{"batch", "cpu", []string{"batch", "--out", batchOut, "--index", "-"}, batchOut},
	} {
		t.Run(tc.name, func(t *testing.T) {
			archive := craftArchive(t, map[string][]byte{"profile.pb.gz": bomb}, tc.profileType)
			if _, _, code := runCoroner(t, exe, "verify", archive); code != 0 {
				t.Fatalf("the crafted archive does not verify (exit %d)", code)
			}
			cmd := exec.Command(exe, append(tc.args, archive)...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB
			t.Logf("exit %v, peak RSS %d MiB", err, rss>>20)
			if rss > bombRSS {
				t.Errorf("peak RSS %d MiB on a 1 GiB gzip bomb, want under %d MiB", rss>>20, bombRSS>>20)
			}
			text := out.String()
			if tc.out != "" {
				text += readTree(t, tc.out)
			}
			if !strings.Contains(text, "exceeds") {
				t.Errorf("no word of the refused profile:\n%s", text)
			}
		})
	}
}

// readTree concatenates the files below dir.
func readTree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			data, _ := os.ReadFile(p)
			b.Write(data)
		}
		return nil
	})
	return b.String()
}
