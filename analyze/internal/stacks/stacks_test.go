package stacks

import "testing"

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
		if got := Package(c.fn); got != c.pkg {
			t.Errorf("Package(%q) = %q, want %q", c.fn, got, c.pkg)
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
