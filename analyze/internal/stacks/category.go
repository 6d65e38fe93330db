package stacks

// Category is where a CPU sample's time went, by runtime function family.
type Category string

// The CPU categories, in the order reports list them.
const (
	CatUser        Category = "user"
	CatGC          Category = "gc"
	CatScheduler   Category = "scheduler"
	CatRuntimeLock Category = "runtime_lock"
	CatSyscall     Category = "syscall_kernel"
	CatRuntime     Category = "runtime_other"
)

// Categories lists every category in report order.
var Categories = []Category{CatUser, CatGC, CatScheduler, CatRuntimeLock, CatSyscall, CatRuntime}

// Classify assigns a CPU sample's stack (innermost first) to one category.
// The collector's work wins over everything (an assist or mark worker that
// takes a lock is still GC cost); then the runtime's internal lock (which
// serializes scheduler, heap and timer state); then the scheduler's search
// for work; then time in system calls and the kernel; then user code when a
// user frame is on the stack; the rest is other runtime work (allocation
// without assists, maps, copying) charged to whoever is on the stack.
func Classify(stack []Frame) Category {
	var gc, lock, sched, sys, user bool
	for i, f := range stack {
		switch {
		case IsGC(f):
			gc = true
		case IsRuntimeLock(f):
			lock = true
		case IsScheduler(f):
			sched = true
		case i < 4 && (IsSyscall(f) || IsFutex(f)):
			sys = true
		case IsUser(f):
			user = true
		}
	}
	switch {
	case gc:
		return CatGC
	case lock:
		return CatRuntimeLock
	case sched:
		return CatScheduler
	case sys:
		return CatSyscall
	case user:
		return CatUser
	}
	return CatRuntime
}
