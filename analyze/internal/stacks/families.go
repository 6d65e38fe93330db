package stacks

import "strings"

// IsGC matches the collector's own work: background mark workers, mark
// assists charged to allocating goroutines, root and object scanning,
// sweeping, scavenging, and the stop-the-world phases gcStart and
// gcMarkTermination.
func IsGC(f Frame) bool {
	return hasPrefixAny(f.Func,
		"runtime.gcBgMarkWorker", "runtime.gcAssistAlloc", "runtime.gcDrain",
		"runtime.markroot", "runtime.scanobject", "runtime.scanblock", "runtime.scanstack",
		"runtime.greyobject", "runtime.gcMarkDone", "runtime.gcMarkTermination",
		"runtime.gcStart", "runtime.gcSweep", "runtime.bgsweep", "runtime.sweepone",
		"runtime.(*sweepLocked).sweep", "runtime.bgscavenge", "runtime.(*scavengerState)",
		"runtime.gcFlushBgCredit", "runtime.wbBufFlush", "runtime.gcWriteBarrier",
		"runtime.(*gcWork)", "runtime.gcResetMarkState", "runtime.gcMark",
		"runtime.stopTheWorldWithSema", "runtime.startTheWorldWithSema",
		"runtime.scanframeworker", "runtime.(*mspan).sweep", "runtime.findObject",
		"runtime.(*gcControllerState)", "runtime.forEachP", "runtime.gcMarkRootPrepare")
}

// IsGCAssist matches mark assists: allocating goroutines drafted into
// marking because they allocate faster than background workers mark.
func IsGCAssist(f Frame) bool { return strings.HasPrefix(f.Func, "runtime.gcAssistAlloc") }

// IsGCBackground matches the dedicated and fractional background mark
// workers.
func IsGCBackground(f Frame) bool { return strings.HasPrefix(f.Func, "runtime.gcBgMarkWorker") }

// IsMarkTermination matches the stop-the-world end of a cycle.
func IsMarkTermination(f Frame) bool {
	return hasPrefixAny(f.Func, "runtime.gcMarkTermination", "runtime.gcMarkDone")
}

// IsMalloc matches the allocator's entry points.
func IsMalloc(f Frame) bool {
	return hasPrefixAny(f.Func, "runtime.mallocgc", "runtime.newobject", "runtime.makeslice",
		"runtime.growslice", "runtime.makemap", "runtime.newarray", "runtime.rawstring",
		"runtime.rawbyteslice", "runtime.rawruneslice", "runtime.concatstring", "runtime.slicebytetostring")
}

// IsScheduler matches the scheduler's search for work and its idle path:
// schedule/findRunnable, work stealing, polling the network, running timers,
// spinning Ms, and the sleeps and yields between attempts.
func IsScheduler(f Frame) bool {
	return hasPrefixAny(f.Func,
		"runtime.schedule", "runtime.findRunnable", "runtime.findrunnable", "runtime.stealWork",
		"runtime.runqsteal", "runtime.runqgrab", "runtime.netpoll", "runtime.checkTimers",
		"runtime.(*timers)", "runtime.(*timer)", "runtime.runtimer", "runtime.runOneTimer",
		"runtime.park_m", "runtime.goschedImpl", "runtime.gosched_m", "runtime.mcall",
		"runtime.stopm", "runtime.startm", "runtime.wakep", "runtime.handoffp",
		"runtime.notesleep", "runtime.notewakeup", "runtime.mPark", "runtime.resetspinning",
		"runtime.osyield", "runtime.usleep", "runtime.sysmon", "runtime.goready", "runtime.ready",
		"runtime.execute", "runtime.gopark", "runtime.casgstatus", "runtime.pidleget",
		"runtime.checkIdleGCNoP", "runtime.injectglist", "runtime.netpollBreak",
		"runtime.runqget", "runtime.globrunqget", "runtime.nanotime", "runtime.(*randomEnum)",
		"time.Sleep", "runtime.resetForSleep", "time.NewTimer", "time.(*Timer)", "time.AfterFunc",
		"time.NewTicker", "time.(*Ticker)", "time.sendTime", "time.goFunc")
}

// IsNetpoll matches network polling, in Go and in the kernel.
func IsNetpoll(f Frame) bool {
	if f.Kernel {
		return hasPrefixAny(f.Func, "ep_poll", "do_epoll_wait", "__x64_sys_epoll_wait",
			"__x64_sys_epoll_pwait", "ep_send_events", "__se_sys_epoll")
	}
	return hasPrefixAny(f.Func, "runtime.netpoll", "runtime.epollwait", "internal/runtime/syscall.EpollWait",
		"runtime/internal/syscall.EpollWait")
}

// IsTimer matches the runtime's timer machinery and the time package's
// timer constructors that feed it.
func IsTimer(f Frame) bool {
	return hasPrefixAny(f.Func, "runtime.(*timers)", "runtime.(*timer)", "runtime.checkTimers",
		"runtime.runtimer", "runtime.runOneTimer", "runtime.addtimer", "runtime.deltimer",
		"runtime.modtimer", "runtime.resettimer", "time.startTimer", "time.stopTimer",
		"time.resetTimer", "time.newTimer")
}

// IsTimerCreation matches the calls through which user code creates or
// re-arms timers, tickers and deadlines; the user frame that calls them is
// the culprit of timer churn.
func IsTimerCreation(f Frame) bool {
	return hasPrefixAny(f.Func, "time.Sleep", "time.NewTimer", "time.After", "time.AfterFunc",
		"time.NewTicker", "time.Tick", "time.(*Timer).Reset", "time.(*Ticker).Reset",
		"context.WithDeadline", "context.WithTimeout", "net.(*conn).SetDeadline",
		"net.(*conn).SetReadDeadline", "net.(*conn).SetWriteDeadline",
		"internal/poll.(*FD).SetDeadline", "internal/poll.(*FD).SetReadDeadline",
		"internal/poll.(*FD).SetWriteDeadline", "internal/poll.setDeadlineImpl",
		"runtime.resetForSleep", "time.newTimer", "runtime.timeSleep")
}

// IsSpinYield matches spinning Ms backing off: osyield, usleep and
// procyield between work-stealing attempts.
func IsSpinYield(f Frame) bool {
	if f.Kernel {
		return hasPrefixAny(f.Func, "__x64_sys_sched_yield", "do_sched_yield", "__x64_sys_nanosleep",
			"hrtimer_nanosleep", "do_nanosleep")
	}
	return hasPrefixAny(f.Func, "runtime.osyield", "runtime.usleep", "runtime.procyield")
}

// IsRuntimeLock matches the runtime's internal mutex (lock2/unlock2 and
// their ranked wrappers) — sched.lock, mheap.lock, timer heap locks — and
// the futex it sleeps on.
func IsRuntimeLock(f Frame) bool {
	return hasPrefixAny(f.Func, "runtime.lock2", "runtime.unlock2", "runtime.lockWithRank",
		"runtime.unlockWithRank", "runtime.lock", "runtime.unlock", "runtime.(*spinbitMutex)",
		"runtime.(*mLockProfile)") && !strings.HasPrefix(f.Func, "runtime.lockOSThread") &&
		!strings.HasPrefix(f.Func, "runtime.unlockOSThread")
}

// IsFutex matches futex waits and wakes, in Go and in the kernel.
func IsFutex(f Frame) bool {
	if f.Kernel {
		return hasPrefixAny(f.Func, "futex_", "__x64_sys_futex", "do_futex")
	}
	return hasPrefixAny(f.Func, "runtime.futex", "runtime.futexsleep", "runtime.futexwakeup")
}

// IsSyncMutexWait matches sync.Mutex/RWMutex slow paths and the semaphore
// goroutines park on when they lose the race for a lock. Lock, Unlock,
// RLock and RUnlock themselves are not: their fast path is one atomic
// operation that an uncontended lock also runs (the spinning and parking
// of a contended one happen in lockSlow and the semaphore).
func IsSyncMutexWait(f Frame) bool {
	return hasPrefixAny(f.Func, "sync.(*Mutex).lockSlow", "sync.(*Mutex).unlockSlow",
		"sync.(*RWMutex).rUnlockSlow", "internal/sync.(*Mutex).unlockSlow",
		"sync.runtime_SemacquireMutex", "sync.runtime_SemacquireRWMutex", "internal/sync.(*Mutex).lockSlow",
		"internal/sync.runtime_SemacquireMutex", "runtime.semacquire1", "sync.runtime_SemacquireRWMutexR",
		"runtime.sync_runtime_SemacquireMutex", "runtime.sync_runtime_SemacquireRWMutex",
		"runtime.internal_sync_runtime_SemacquireMutex")
}

// IsSyncPool matches sync.Pool past its private slot: the per-P shared
// chains (poolChain/poolDequeue: a Put finding the private slot taken, a
// Get finding it empty, racing thieves on the chain's head-tail word),
// getSlow (a Get that found its own P's shard empty, stealing from other
// Ps with popTail, then reading the victim cache), pinSlow (a pool's
// first use on a P after it was created or emptied, growing its per-P
// array under the global allPoolsMu), and poolCleanup, which the GC runs
// at every cycle start (runtime.clearpools). The entry every Get and Put
// takes — pin and procPin, the private slot — is not matched, however
// busy a pool-heavy service keeps it.
func IsSyncPool(f Frame) bool {
	return hasPrefixAny(f.Func, "sync.(*Pool).getSlow", "sync.(*Pool).pinSlow", "sync.poolCleanup",
		"sync.(*poolChain)", "sync.(*poolDequeue)", "runtime.clearpools")
}

// IsSyncPoolAny matches any frame of sync.Pool, fast paths included.
func IsSyncPoolAny(f Frame) bool {
	return IsSyncPool(f) || hasPrefixAny(f.Func, "sync.(*Pool).", "sync.(*poolChain)", "sync.(*poolDequeue)",
		"sync.runtime_procPin", "sync.runtime_procUnpin", "sync.indexLocal")
}

// IsSyscall matches system-call entry in Go and every kernel frame.
func IsSyscall(f Frame) bool {
	return f.Kernel || hasPrefixAny(f.Func, "syscall.Syscall", "syscall.RawSyscall", "syscall.syscall",
		"syscall.rawSyscall", "syscall.RawSyscall6", "internal/runtime/syscall.Syscall6",
		"runtime/internal/syscall.Syscall6", "runtime.entersyscall", "runtime.exitsyscall",
		"runtime.cgocall", "runtime.asmcgocall", "internal/syscall/unix.", "runtime.write1",
		"runtime.read", "runtime.write")
}
