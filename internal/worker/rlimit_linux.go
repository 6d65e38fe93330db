package worker

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

const rlimitEnv = "CORONER_WORKER_RLIMIT_AS"

// setRlimit arranges for the child to cap its own address space when it
// starts (see applyRlimit) and to die with its parent. Go reserves far more
// address space than it touches, so the cap is 4× the memory limit plus
// 1 GiB of headroom for the runtime's arena reservations.
func setRlimit(cmd *exec.Cmd, mem int64) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if mem <= 0 {
		return
	}
	cmd.Env = append(cmd.Env, rlimitEnv+"="+strconv.FormatUint(uint64(mem)*4+1<<30, 10))
}

// applyRlimit sets RLIMIT_AS in the worker process from the environment.
func applyRlimit() {
	v, err := strconv.ParseUint(os.Getenv(rlimitEnv), 10, 64)
	if err != nil || v == 0 {
		return
	}
	_ = syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: v, Max: v})
}
