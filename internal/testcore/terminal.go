package testcore

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// ctrlBackslash is the terminal's default VQUIT character (Ctrl-\): the
// line discipline answers it by sending SIGQUIT to the foreground process
// group (n_tty isig), with si_code SI_KERNEL.
const ctrlBackslash = 0x1c

// QuitFromTerminal runs exe (with the core size limit raised) on a new
// pseudo-terminal that is its controlling terminal, as in an interactive
// shell, waits until it prints ready, and types Ctrl-\. It returns what
// the process printed on the terminal and the directory it ran in, where
// a core lands when it dumps one (FindCoreIn).
func QuitFromTerminal(t testing.TB, exe, ready string, env ...string) (out []byte, dir string) {
	t.Helper()
	ptmx, pts, err := openPty()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	cmd := exec.Command("/bin/sh", "-c", `ulimit -c unlimited && exec "$0"`, exe)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = pts, pts, pts
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		pts.Close()
		t.Fatal(err)
	}
	pts.Close()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	var mu sync.Mutex
	var buf bytes.Buffer
	read := make(chan struct{})
	go func() {
		defer close(read)
		b := make([]byte, 64<<10)
		for {
			n, err := ptmx.Read(b)
			mu.Lock()
			buf.Write(b[:n])
			mu.Unlock()
			if err != nil { // EIO once the process has exited
				return
			}
		}
	}()
	printed := func() []byte {
		mu.Lock()
		defer mu.Unlock()
		return bytes.Clone(buf.Bytes())
	}
	for deadline := time.Now().Add(30 * time.Second); !bytes.Contains(printed(), []byte(ready)); {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not print %q:\n%s", exe, ready, printed())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // let main park
	if _, err := ptmx.Write([]byte{ctrlBackslash}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(exitTimeout):
		t.Fatalf("process did not exit within %v after Ctrl-\\", exitTimeout)
	}
	select {
	case <-read:
	case <-time.After(5 * time.Second):
	}
	return printed(), cmd.Dir
}

// FindCoreIn returns the core a process left in dir.
func FindCoreIn(t testing.TB, dir string) string {
	t.Helper()
	return findCore(t, dir)
}

// openPty opens a new pseudo-terminal's master and slave (pty(7)):
// unlock the slave (TIOCSPTLCK), find its number (TIOCGPTN), open it.
func openPty() (ptmx, pts *os.File, err error) {
	ptmx, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	var unlock int32
	var n uint32
	if err := ioctl(ptmx, syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		ptmx.Close()
		return nil, nil, fmt.Errorf("unlocking the terminal: %w", err)
	}
	if err := ioctl(ptmx, syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		ptmx.Close()
		return nil, nil, fmt.Errorf("the terminal's number: %w", err)
	}
	pts, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		ptmx.Close()
		return nil, nil, err
	}
	return ptmx, pts, nil
}

func ioctl(f *os.File, req uintptr, arg unsafe.Pointer) error {
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), req, uintptr(arg)); e != 0 {
		return e
	}
	return nil
}
