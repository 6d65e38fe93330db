package analyzetest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"os"
	"sync"
	"time"
)

// faultWorkloads are sick services written the way production code
// goes wrong, for contrast with the healthy shapes: the rules must tell
// them apart from every family.
var faultWorkloads = map[string]workload{
	"deadlines": probeConnections,
	"readers":   refreshSessions,
}

// probeConnections keeps idle keep-alive connections "fresh" by reading
// from each with a read deadline tens of microseconds away, re-armed as
// soon as it expires: no data ever flows.
func probeConnections(ctx context.Context) func() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "workload: listen:", err)
		os.Exit(1)
	}
	defer ln.Close()
	var conns, peers []net.Conn
	for range 32 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			fmt.Fprintln(os.Stderr, "workload: dial:", err)
			os.Exit(1)
		}
		s, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "workload: accept:", err)
			os.Exit(1)
		}
		conns, peers = append(conns, c), append(peers, s)
	}
	wait := spawn(ctx, len(conns), func(ctx context.Context, i int) {
		buf := make([]byte, 1)
		for range 100 {
			_ = conns[i].SetReadDeadline(time.Now().Add(20 * time.Microsecond))
			_, _ = conns[i].Read(buf)
		}
	})
	return func() {
		wait()
		for i := range conns {
			conns[i].Close()
			peers[i].Close()
		}
	}
}

// sessionTable is read by every request and rebuilt by a refresher that
// holds the write lock while it recomputes.
var (
	sessionMu    sync.RWMutex
	sessionTable = map[int]int{}
)

// refreshSessions has request goroutines read a table under a read lock
// while a refresher rebuilds it under the write lock, doing slow work
// there: readers queue behind each rebuild.
func refreshSessions(ctx context.Context) func() {
	readers := spawn(ctx, 16, func(ctx context.Context, i int) {
		sessionMu.RLock()
		_ = sessionTable[i]
		sessionMu.RUnlock()
	})
	writer := spawn(ctx, 1, func(ctx context.Context, i int) {
		sessionMu.Lock()
		var h [32]byte
		for j := range 2000 {
			h = sha256.Sum256(h[:])
			sessionTable[j%256] = int(h[0])
		}
		sessionMu.Unlock()
	})
	return func() { readers(); writer() }
}
