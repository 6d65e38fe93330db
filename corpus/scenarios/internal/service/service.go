// Package service is the scaffolding every corpus scenario shares: flags
// (-addr, -severity, -run), the HTTP server with net/http/pprof, and a
// load generator that calls the service's own endpoints, so each scenario
// is a small but complete Go service under load.
package service

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

// Severity selects how strongly a scenario exhibits its pathology.
type Severity int

// The two knobs every scenario honours.
const (
	Mild Severity = iota
	Severe
)

// Pick returns mild or severe according to s.
func Pick[T any](s Severity, mild, severe T) T {
	if s == Severe {
		return severe
	}
	return mild
}

// Config is what a scenario's flags chose.
type Config struct {
	Addr     string
	Severity Severity
	// Run stops the service after this long (0: until SIGTERM/SIGINT).
	Run time.Duration
}

// Flags parses the standard flags.
func Flags() Config {
	addr := flag.String("addr", "127.0.0.1:6060", "listen address for the service and /debug/pprof/")
	sev := flag.String("severity", "severe", "mild or severe")
	run := flag.Duration("run", 0, "stop after this long (0: run until signalled)")
	flag.Parse()
	c := Config{Addr: *addr, Run: *run}
	switch *sev {
	case "mild":
		c.Severity = Mild
	case "severe":
		c.Severity = Severe
	default:
		fmt.Fprintf(os.Stderr, "-severity %q: want mild or severe\n", *sev)
		os.Exit(2)
	}
	return c
}

// Serve listens on c.Addr with mux plus /debug/pprof/, prints the bound
// address, runs start with the base URL once listening, and blocks until
// the run time passes or a signal arrives.
func Serve(c Config, mux *http.ServeMux, start func(ctx context.Context, base string)) {
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		log.Fatalf("listen %s: %v", c.Addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
			log.Fatalf("serve: %v", err)
		}
	}()
	base := "http://" + ln.Addr().String()
	fmt.Printf("listening on %s\n", base)
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()
	if c.Run > 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeout(ctx, c.Run)
		defer stop()
	}
	go start(ctx, base)
	<-ctx.Done()
	shut, done := context.WithTimeout(context.Background(), 2*time.Second)
	defer done()
	_ = srv.Shutdown(shut)
}

// Client is the load generator's HTTP client: keep-alive connections to
// the service, as a sidecar or a peer service would hold.
var Client = &http.Client{
	Timeout:   30 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256},
}

// Requests counts load-generator requests that succeeded.
var Requests atomic.Int64

// Load runs workers goroutines that GET url in a loop until ctx ends,
// waiting pause between requests (0: back to back).
func Load(ctx context.Context, url string, workers int, pause time.Duration) {
	for range workers {
		go func() {
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				resp, err := Client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						Requests.Add(1)
					}
				}
				if pause > 0 {
					select {
					case <-ctx.Done():
					case <-time.After(pause):
					}
				}
			}
		}()
	}
}
