// Command netpoll_spin is an upstream connection pool whose health checker
// keeps thousands of idle keep-alive connections "fresh" by re-arming a
// read deadline of a few tens of microseconds on each and reading until it
// fires, while per-connection idle timers are reset in a tight loop. No
// data ever flows: the CPU goes to the scheduler finding the next expired
// timer, the netpoller, and deadline bookkeeping.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/coroner/coroner/corpus/scenarios/internal/service"
)

// probes counts deadline expiries observed by the checker.
var probes atomic.Int64

// pool holds both ends of idle loopback connections.
type pool struct {
	conns []net.Conn
	peers []net.Conn
}

func dialPool(n int) (*pool, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	p := &pool{}
	for range n {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return nil, err
		}
		s, err := ln.Accept()
		if err != nil {
			return nil, err
		}
		p.conns, p.peers = append(p.conns, c), append(p.peers, s)
	}
	return p, nil
}

// keepFresh waits for data that never comes, with a deadline so short it
// expires almost at once, and immediately re-arms it.
func keepFresh(ctx context.Context, c net.Conn, every time.Duration) {
	buf := make([]byte, 1)
	for ctx.Err() == nil {
		_ = c.SetReadDeadline(time.Now().Add(every))
		if _, err := c.Read(buf); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				probes.Add(1)
				continue
			}
			return
		}
	}
}

// idleTimer resets a per-connection idle timer far more often than it
// could ever fire.
func idleTimer(ctx context.Context, every time.Duration) {
	t := time.NewTimer(every)
	defer t.Stop()
	for ctx.Err() == nil {
		t.Reset(every)
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
}

func main() {
	cfg := service.Flags()
	n := service.Pick(cfg.Severity, 200, 800)
	every := service.Pick(cfg.Severity, 200*time.Microsecond, 50*time.Microsecond)
	p, err := dialPool(n)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dialing pool:", err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "conns=%d probes=%d\n", len(p.conns), probes.Load())
	})
	service.Serve(cfg, mux, func(ctx context.Context, base string) {
		for _, c := range p.conns {
			go keepFresh(ctx, c, every)
			go idleTimer(ctx, every)
		}
		service.Load(ctx, base+"/health", 2, 50*time.Millisecond)
	})
}
