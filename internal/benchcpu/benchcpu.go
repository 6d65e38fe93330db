// Package benchcpu reports a benchmark's CPU time per operation beside
// its wall time: on a shared machine wall time also counts the waits for a
// core, CPU time is the cost the benchmark itself adds.
package benchcpu

import (
	"syscall"
	"testing"
	"time"
)

// Start starts measuring the process's CPU time (user and system) and
// returns the function that stops and reports it per operation as
// "cpu-ms/op"; call it after b.ResetTimer with defer benchcpu.Start(b)().
func Start(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
