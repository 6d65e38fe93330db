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

// Causes lists every root-cause class a verdict can name, in the order
// the constants are declared.
var Causes = []string{CauseGCSTW, CauseNetpollSpin, CauseSyncPoolContention, CauseLockWait, CauseCrash, CauseDeadlock, CauseNone}
