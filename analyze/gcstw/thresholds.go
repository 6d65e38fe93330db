package gcstw

import "time"

// Thresholds. Each finding's evidence carries the one it was compared with.
const (
	// gcCPUWarn: the pacer aims for background marking to use 25 % of
	// GOMAXPROCS while a cycle runs (gcBackgroundUtilization in
	// runtime/mgcpacer.go); GC taking a quarter of all CPU over the whole
	// recording means it runs nearly back to back or assists heavily.
	gcCPUWarn = 0.25
	// gcCPUCritical: the GC CPU limiter caps GC at 50 % of CPU
	// (gcCPULimiterUpdatePeriod / limiter in runtime/mgclimit.go); reaching
	// it means the program is out of memory headroom and the runtime is
	// trading throughput for staying under GOMEMLIMIT. Measured healthy
	// (both): gctrace's window share 0.001–0.002 for batch, idle and TCP
	// connections, 0.04–0.11 for busy HTTP (its cumulative N% 0–6 %); CPU
	// samples in the collector 0.13 for busy HTTP.
	gcCPUCritical = 0.50
	// stwShareWarn and stwShareCritical: stop-the-world share of wall time.
	// A healthy Go program pauses well under 1 ms per cycle (Go 1.8+ made
	// stack rescanning concurrent; the design target since Go 1.5 is 10 ms
	// per 50 ms, i.e. 20 %, as an upper bound). 1 % of wall time stopped is
	// already noticeable tail latency; 5 % is an outage-grade stall.
	// Measured healthy: 0.001–0.003 for batch, idle and TCP connections;
	// busy HTTP 0.06–0.14 on a host with load 9–14 on 2 cores, where
	// stopping the world waits for descheduled threads — reported as a
	// world slow to stop, without a cause, since the collector is not busy.
	stwShareWarn     = 0.01
	stwShareCritical = 0.05
	// pauseMaxWarn: a single pause above 10 ms breaks the Go 1.5 GC design
	// target ("10 ms STW pauses") that every later release stays far below.
	pauseMaxWarn = 10 * time.Millisecond
	// markShareWarn: share of wall time the collector spends between
	// sweep termination and the end of mark termination (the trace's mark
	// phases, gctrace's A+B+C ms clock). The pacer places the trigger at
	// least 70 % of the way from the live heap to the goal
	// (minTriggerRatioNum/triggerRatioDen = 45/64 in runtime/mgcpacer.go),
	// so marking is meant to cover at most the last 30 % of the
	// allocation between cycles; a CPU-starved process stretches it
	// further, as its mark workers wait for a thread. Marking more than
	// half the time means cycles run back to back. Measured healthy over
	// 1.5–2 s (gctrace; the trace's mark phases read lower): CPU-bound
	// batch 0.005, idle 0.006, 256 TCP connections 0.02, busy HTTP 0.13 on
	// a quiet host and 0.34–0.38 with load 9–10 on its 2 cores.
	markShareWarn = 0.50
	// minLongPauses: pauses over pauseMaxWarn needed before "too long" is
	// claimed. A stop-the-world includes the time to bring every goroutine
	// to a safe point, so one outlier on an overloaded host (a thread
	// descheduled by the kernel mid-stop) is noise; a recurring one is not.
	minLongPauses = 3
	// minCycles, minShareCycles and minSpan: rates (cycles or forced
	// cycles per second) are judged over at least 10 cycles (a count of 10
	// estimates its rate to about ±30 %, the Poisson error 1/√10); shares
	// of wall time (stopped, marking, GC CPU) over at least 3 cycles, two
	// whole intervals, as a heap marked back to back for seconds gives
	// few; both over at least a second (a program's first cycles come in
	// a burst while its heap grows to the 4 MB minimum, heapMinimum in
	// runtime/mgcpacer.go). Below that the finding says "insufficient
	// data", never a cause.
	minCycles      = 10
	minShareCycles = 3
	minSpan        = time.Second
	// minCPUSamples: CPU shares are judged over at least 100 samples (one
	// CPU-second at pprof's 100 Hz): a 25 % share from 100 samples is known
	// to about ±4 % (binomial standard error), enough to tell it from the
	// thresholds it is compared with.
	minCPUSamples = 100
	// forcedRateWarn: explicit collections per second. The runtime forces
	// a cycle on its own only when none ran for two minutes
	// (forcegcperiod, runtime/proc.go), which gctrace does not even mark
	// forced; runtime.GC is meant for tests and benchmarks. A program
	// forcing more than one cycle a second overrides the pacer. Measured
	// healthy: no forced cycle in any capture (busy HTTP, TCP connections,
	// batch, idle).
	forcedRateWarn = 1.0
	// forcedShareWarn: forced cycles are what drives the collector when
	// they are the majority of cycles.
	forcedShareWarn = 0.5
	// forcedCPUWarn: CPU samples inside runtime.GC or debug.FreeOSMemory,
	// where the caller's goroutine waits out the cycle it forced, sweeps
	// every span and (FreeOSMemory) scavenges every free page. The runtime
	// does none of this unless asked; 5 % of CPU there, as for mark
	// assists (assistShareWarn), is the collector taxing the program on
	// the caller's behalf. Measured healthy: 0 in every capture.
	forcedCPUWarn = 0.05
	// forcedGCCPUWarn: the collector's CPU share when its cycles are
	// forced. Forced cycles are ones the pacer would not have run, so
	// collector CPU above what healthy services spend under the pacer is
	// the forcing's cost. Measured healthy: CPU samples in the collector
	// 0.13 for busy HTTP, the highest of the healthy shapes (gcCPUWarn).
	forcedGCCPUWarn = 0.15
	// minForcingSamples: CPU samples inside runtime.GC or
	// debug.FreeOSMemory that show a program forcing collections
	// repeatedly: each call ends by sweeping the heap on the caller's
	// goroutine, so 5 samples (50 ms at runtime/pprof's 100 Hz) is many
	// calls, where one at start-up or an hourly one leaves a sample or
	// none. Measured healthy: 0 in every capture.
	minForcingSamples = 5
	// minStartSamples: the split of gcStart's CPU samples between forcing
	// and allocating callers is judged over at least 10 of them.
	minStartSamples = 10
	// limitNearShare: a GOMEMLIMIT the live heap reaches 80 % of is setting
	// the goal: the limit's goal is the limit less the runtime's other
	// memory and a 3 % margin (memoryLimitHeapGoal, runtime/mgcpacer.go),
	// below GOGC=100's twice the live heap.
	limitNearShare = 0.8
	// assistShareWarn: mark assists charged to user goroutines above 5 % of
	// CPU samples mean allocation outruns background marking (the pacer
	// drafts allocators only when its 25 % background budget falls short).
	// Measured healthy: 0.006 for busy HTTP, 0 elsewhere.
	assistShareWarn = 0.05
	// cyclesPerSecondWarn: 50 collections a second (one every 20 ms). A
	// small heap collects often at no cost: below 4 MB live, GOGC=100
	// collects every 4 MB allocated (heapMinimum, runtime/mgcpacer.go), so
	// a busy service allocating 100 MB/s runs 25 cycles a second. At 50,
	// each cycle's fixed costs (two stops of the world, scanning every
	// stack, emptying every sync.Pool, sweeping) recur every 20 ms.
	// Measured healthy: idle 0.6/s, batch 0.7/s, 256 TCP connections
	// 1.1/s, busy HTTP 10.3/s (heap at its 4–8 MB floor).
	cyclesPerSecondWarn = 50.0
)
