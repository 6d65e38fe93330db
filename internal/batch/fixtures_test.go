package batch

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/ingest"
)

// testAnalyze is the analysis the worker children run in these tests: the
// real archive reader, verifier and ingest, and the real CPU analyzer.
func testAnalyze(ctx context.Context, input string, o analyze.Options) (*analyze.Result, error) {
	path := input
	if !bundle.IsArchive(input) {
		dir, err := os.MkdirTemp("", "coroner-batch-ingest-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "incident.tar.zst")
		if _, err := ingest.Run(ctx, ingest.Options{Inputs: []string{input}, Output: path, ID: "attachment"}); err != nil {
			return nil, &ingest.InputError{Err: fmt.Errorf("%s: %w", input, err)}
		}
	}
	if err := bundle.Verify(path); err != nil {
		return nil, err
	}
	a, err := bundle.Open(path)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	return analyze.Execute(ctx, a, []*analyze.Analyzer{cpu.Analyzer}, o)
}

// testSet is the analyzer-set version of testAnalyze.
var testSet = "test-" + cpu.Analyzer.Name + "-" + cpu.Analyzer.Version

// fixtures are archives and attachments made once per test binary from
// workloads the real runtime profiled.
type fixtures struct {
	dir  string
	good []string          // archives and attachments that analyze
	bad  map[string]string // file → substring its error must contain
}

var (
	fixOnce sync.Once
	fix     *fixtures
	fixErr  error
)

// getFixtures builds the fixtures on first use.
func getFixtures(t *testing.T) *fixtures {
	t.Helper()
	fixOnce.Do(func() {
		dir, err := os.MkdirTemp("", "coroner-batch-fixtures-")
		if err != nil {
			fixErr = err
			return
		}
		fix, fixErr = buildFixtures(t, dir)
	})
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

func buildFixtures(t *testing.T, dir string) (*fixtures, error) {
	f := &fixtures{dir: dir, bad: map[string]string{}}
	ctx := context.Background()
	var captures [][]analyzetest.File
	for _, w := range []string{"healthy", "lock"} {
		captures = append(captures, analyzetest.Capture(t, w, 300*time.Millisecond))
	}
	// Several archives: each capture's CPU profile alone, and with the
	// other profiles, so every archive has its own manifest and digest.
	n := 0
	pack := func(id string, files []analyzetest.File) (string, error) {
		in := filepath.Join(dir, "in-"+id)
		if err := os.MkdirAll(in, 0o755); err != nil {
			return "", err
		}
		for _, fl := range files {
			if err := copyFile(fl.Disk, filepath.Join(in, filepath.Base(fl.Disk))); err != nil {
				return "", err
			}
		}
		out := filepath.Join(dir, "archives", id+".tar.zst")
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return "", err
		}
		if _, err := ingest.Run(ctx, ingest.Options{Inputs: []string{in}, Output: out, ID: id}); err != nil {
			return "", fmt.Errorf("ingest %s: %w", id, err)
		}
		n++
		return out, nil
	}
	for i, c := range captures {
		for j, subset := range [][]analyzetest.File{
			analyzetest.Only(c, bundle.KindPprof, "cpu"),
			analyzetest.Only(c, bundle.KindPprof),
			append(analyzetest.Only(c, bundle.KindPprof, "cpu"), analyzetest.Only(c, bundle.KindGCTrace)...),
		} {
			p, err := pack(fmt.Sprintf("inc-%d-%d", i, j), subset)
			if err != nil {
				return nil, err
			}
			f.good = append(f.good, p)
		}
	}
	// A zip attachment, ingested by the worker.
	att := filepath.Join(dir, "archives", "attachment.zip")
	if err := writeZip(att, analyzetest.Only(captures[0], bundle.KindPprof, "cpu", "mutex")); err != nil {
		return nil, err
	}
	f.good = append(f.good, att)

	src, err := os.ReadFile(f.good[1])
	if err != nil {
		return nil, err
	}
	hostile := func(name string, data []byte, want string) error {
		p := filepath.Join(dir, "archives", name)
		f.bad[p] = want
		return os.WriteFile(p, data, 0o644)
	}
	// Cut mid-stream: the trailer is gone.
	if err := hostile("truncated.tar.zst", src[:len(src)*2/3], ""); err != nil {
		return nil, err
	}
	// One byte altered past the manifest: a member's checksum fails.
	corrupt := bytes.Clone(src)
	corrupt[len(corrupt)*3/4] ^= 0x55
	if err := hostile("corrupt.tar.zst", corrupt, ""); err != nil {
		return nil, err
	}
	// Not zstd at all.
	wrong := bytes.Clone(src)
	copy(wrong, "GIF8")
	if err := hostile("wrong-magic.tar.zst", wrong, ""); err != nil {
		return nil, err
	}
	bomb := filepath.Join(dir, "archives", "bomb.zip")
	if err := writeZipBomb(bomb); err != nil {
		return nil, err
	}
	f.bad[bomb] = ""
	return f, nil
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}

func writeZip(path string, files []analyzetest.File) error {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, fl := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: filepath.Base(fl.Disk), Method: zip.Deflate, Modified: time.Unix(0, 0)})
		if err != nil {
			return err
		}
		b, err := os.ReadFile(fl.Disk)
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// bombBytes is how much the zip bomb inflates to: far beyond the 1 KiB its
// header declares, the lie bombs use to slip past size checks.
const bombBytes = 64 << 20

// writeZipBomb writes a zip whose one entry declares 1 KiB but inflates
// to bombBytes of zeros.
func writeZipBomb(path string) error {
	var comp bytes.Buffer
	fw, err := flate.NewWriter(&comp, flate.BestCompression)
	if err != nil {
		return err
	}
	crc := crc32.NewIEEE()
	zero := make([]byte, 1<<20)
	for range bombBytes / len(zero) {
		fw.Write(zero)
		crc.Write(zero)
	}
	if err := fw.Close(); err != nil {
		return err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "heap.pprof", Method: zip.Deflate, CRC32: crc.Sum32(),
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: 1024, Modified: time.Unix(0, 0)})
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, &comp); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
