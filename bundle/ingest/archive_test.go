package ingest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coroner/coroner/bundle"
)

func TestStdinTar(t *testing.T) {
	data := mkTar(t, reg("dump.txt", gotrace), reg("gc.log", "gc 1 @0.012s 2%: 0.010+0.5+0.003 ms clock, 1 P\n"))
	out := filepath.Join(t.TempDir(), "o.tar.zst")
	m, err := Run(context.Background(), Options{Inputs: []string{"-"}, Stdin: bytes.NewReader(data), Output: out})
	if err != nil {
		t.Fatal(err)
	}
	o := originals(m)
	if o["stdin/dump.txt"].Kind != bundle.KindGoroutineDump || o["stdin/gc.log"].Kind != bundle.KindGCTrace {
		t.Errorf("artifacts %+v", m.Artifacts)
	}
	_, err = Run(context.Background(), Options{Inputs: []string{"-"}, Stdin: strings.NewReader("not a tar"), Output: out + "2"})
	wantErr(t, err, "stdin", "not a tar")
}

func TestCancelLeavesNothing(t *testing.T) {
	in := t.TempDir()
	for i := range 20 {
		os.WriteFile(filepath.Join(in, "blob"+string(rune('a'+i))), bytes.Repeat([]byte{byte(i)}, 1<<20+i), 0o644)
	}
	outDir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := Run(ctx, Options{Inputs: []string{in}, Output: filepath.Join(outDir, "o.tar.zst"),
		Log: func(format string, args ...any) {
			if strings.HasPrefix(format, "writing ") {
				if n++; n == 5 {
					cancel()
				}
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if ents, _ := os.ReadDir(outDir); len(ents) != 0 {
		t.Errorf("cancelled ingest left %v", ents)
	}
}

func TestKilledLeavesNoOutput(t *testing.T) {
	in := t.TempDir()
	for i := range 10 {
		os.WriteFile(filepath.Join(in, "blob"+string(rune('a'+i))), bytes.Repeat([]byte{byte(i)}, 1<<20+i), 0o644)
	}
	out := filepath.Join(t.TempDir(), "o.tar.zst")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CORONER_TEST_CHILD=1", "CORONER_TEST_SLOW=1", "CORONER_TEST_IN="+in, "CORONER_TEST_OUT="+out)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 7)
	if _, err := io.ReadFull(stdout, buf); err != nil || string(buf) != "started" {
		t.Fatalf("child said %q, %v", buf, err)
	}
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("killed ingest left %s (stat err %v)", out, err)
	}
}

func TestWriteFailureLeavesNothing(t *testing.T) {
	// Simulate a full disk: RLIMIT_FSIZE makes writes past the limit fail
	// with EFBIG once SIGXFSZ is ignored.
	in := t.TempDir()
	os.WriteFile(filepath.Join(in, "blob"), randomBytes(4<<20), 0o644)
	outDir := t.TempDir()
	var old syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old)
	ignoreSIGXFSZ()
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 1 << 20, Max: old.Max}); err != nil {
		t.Skipf("cannot set RLIMIT_FSIZE: %v", err)
	}
	_, err := Run(context.Background(), Options{Inputs: []string{in}, Output: filepath.Join(outDir, "o.tar.zst")})
	syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old)
	wantErr(t, err, "o.tar.zst")
	if ents, _ := os.ReadDir(outDir); len(ents) != 0 {
		t.Errorf("failed write left %v", ents)
	}
	var ie *InputError
	if errors.As(err, &ie) {
		t.Errorf("a destination failure was classed as an input error: %v", err)
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i+8 <= n; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], rng.Uint64())
	}
	return b
}
