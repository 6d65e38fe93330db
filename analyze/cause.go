package analyze

// Root-cause classes a verdict can name; bots switch on these strings.
const (
	CauseGCSTW              = "gc_stw"
	CauseNetpollSpin        = "netpoll_spin"
	CauseSyncPoolContention = "syncpool_contention"
	CauseLockWait           = "lock_wait"
	CauseCrash              = "crash"
	CauseDeadlock           = "deadlock"
	CauseNone               = "none"
)
