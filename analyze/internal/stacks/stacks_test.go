package stacks

import (
	"reflect"
	"testing"

	"github.com/coroner/coroner/bundle/goroutines"
)

func TestPackageAndIsUser(t *testing.T) {
	for _, c := range []struct {
		fn, pkg string
		user    bool
	}{
		{"net/http.(*conn).serve", "net/http", false},
		{"main.main.func1", "main", true},
		{"runtime.gcBgMarkWorker", "runtime", false},
		{"github.com/acme/svc/cache.(*LRU[...]).Get", "github.com/acme/svc/cache", true},
		{"golang.org/x/net/http2.(*serverConn).serve", "golang.org/x/net/http2", true},
		{"vendor/golang.org/x/net/dns/dnsmessage.(*Parser).Start", "vendor/golang.org/x/net/dns/dnsmessage", false},
		{"internal/poll.(*FD).Read", "internal/poll", false},
		{"do_syscall_64", "", false},
	} {
		if got := goroutines.Package(c.fn); got != c.pkg {
			t.Errorf("goroutines.Package(%q) = %q, want %q", c.fn, got, c.pkg)
		}
		if got := IsUser(Frame{Func: c.fn}); got != c.user {
			t.Errorf("IsUser(%q) = %v", c.fn, got)
		}
	}
	if IsUser(Frame{Func: "main.main", Kernel: true}) {
		t.Error("kernel frame counted as user code")
	}
}

func TestClassify(t *testing.T) {
	st := func(fns ...string) []Frame {
		var out []Frame
		for _, f := range fns {
			out = append(out, Frame{Func: f})
		}
		return out
	}
	for _, c := range []struct {
		stack []Frame
		want  Category
	}{
		{st("crypto/sha256.block", "main.hash", "main.main"), CatUser},
		{st("runtime.scanobject", "runtime.gcDrain", "runtime.gcBgMarkWorker"), CatGC},
		{st("runtime.memclrNoHeapPointers", "runtime.mallocgc", "runtime.gcAssistAlloc", "main.alloc"), CatGC},
		{st("runtime.futex", "runtime.lock2", "runtime.findRunnable", "runtime.schedule"), CatRuntimeLock},
		{st("runtime.netpoll", "runtime.findRunnable", "runtime.schedule", "runtime.park_m"), CatScheduler},
		{st("internal/runtime/syscall.Syscall6", "syscall.read", "os.(*File).Read", "main.copy"), CatSyscall},
		{st("runtime.mapaccess1", "runtime.mapassign"), CatRuntime},
	} {
		if got := Classify(c.stack); got != c.want {
			t.Errorf("Classify(%v) = %s, want %s", c.stack, got, c.want)
		}
	}
}

// TestConverter: a converter gives what FromGoroutine gives, the same
// slice for the same census stack, and stops storing past its bound.
func TestConverter(t *testing.T) {
	shared := []goroutines.Frame{{Func: "main.f", File: "f.go", Line: 3}, {Func: "main.main"}}
	var c Converter
	a, b := c.FromGoroutine(shared), c.FromGoroutine(shared)
	if !reflect.DeepEqual(a, FromGoroutine(shared)) || &a[0] != &b[0] {
		t.Fatalf("converted %v and %v, want one shared %v", a, b, FromGoroutine(shared))
	}
	if got := c.FromGoroutine(shared[1:]); len(got) != 1 || got[0].Func != "main.main" {
		t.Fatalf("a shorter view of the same frames converted as %v", got)
	}
	if got := c.FromGoroutine(nil); len(got) != 0 {
		t.Fatalf("no frames converted as %v", got)
	}
	for range 2 * goroutines.MaxPerStack {
		c.FromGoroutine([]goroutines.Frame{{Func: "x"}})
	}
	if c.done.Len() > goroutines.MaxPerStack {
		t.Fatalf("%d stacks kept, bound %d", c.done.Len(), goroutines.MaxPerStack)
	}
}
