package ingest

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/coroner/coroner/bundle"
	"golang.org/x/sys/unix"
)

// withoutDACOverride runs fn on an OS thread that has dropped the
// capabilities that let root read any file (CAP_DAC_OVERRIDE,
// CAP_DAC_READ_SEARCH), so permission bits apply even to root. Linux keeps
// capabilities per thread; the thread is never unlocked, so it exits with
// the goroutine and the rest of the process keeps its privileges.
func withoutDACOverride(t *testing.T, fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		if os.Geteuid() == 0 {
			hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
			var data [2]unix.CapUserData
			if err := unix.Capget(&hdr, &data[0]); err != nil {
				t.Errorf("capget: %v", err)
				return
			}
			data[0].Effective &^= 1<<unix.CAP_DAC_OVERRIDE | 1<<unix.CAP_DAC_READ_SEARCH
			if err := unix.Capset(&hdr, &data[0]); err != nil {
				t.Errorf("capset: %v", err)
				return
			}
		}
		fn()
	}()
	<-done
}

func TestUnreadableFile(t *testing.T) {
	in := t.TempDir()
	os.WriteFile(filepath.Join(in, "dump.txt"), []byte(gotrace), 0o644)
	locked := filepath.Join(in, "locked.txt")
	os.WriteFile(locked, []byte(gotrace+"x"), 0o000)
	out := filepath.Join(t.TempDir(), "o.tar.zst")
	var (
		m    *bundle.Manifest
		err1 error
		err2 error
		skip bool
	)
	withoutDACOverride(t, func() {
		if f, err := os.Open(locked); err == nil {
			f.Close()
			skip = true
			return
		}
		// In a directory: skipped with a warning naming it.
		m, err1 = Run(context.Background(), Options{Inputs: []string{in}, Output: out})
		// Named explicitly: an error naming it.
		_, err2 = Run(context.Background(), Options{Inputs: []string{locked}, Output: out + ".2"})
	})
	if skip {
		t.Skip("permission bits are not enforced here")
	}
	if err1 != nil {
		t.Fatal(err1)
	}
	wantWarning(t, m, "locked.txt", "permission denied")
	if len(m.Artifacts) != 1 {
		t.Errorf("artifacts %+v", m.Artifacts)
	}
	wantErr(t, err2, "locked.txt", "permission denied")
	if _, err := os.Stat(out + ".2"); err == nil {
		t.Error("failed ingest left its output")
	}
}
