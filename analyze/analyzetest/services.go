package analyzetest

import (
	"bufio"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Service workloads: healthy programs of the shapes a Go service takes —
// a busy net/http server, a line-protocol server holding many TCP
// connections, CPU-bound batch work, and an idle server. The servers
// write their listen address to addrFile in the workload directory; the
// load generator that calls them runs in a process of its own (CaptureLoaded
// starts it), as a real client would, so the server's capture holds only
// the server.
var serviceWorkloads = map[string]workload{
	"http":  serveQuotes,
	"lines": serveLines,
	"batch": compressBatches,
	"idle":  idleServer,
}

// addrFile is the file a server workload writes its listen address to.
const addrFile = "addr"

// lookup finds a workload by name.
func lookup(name string) (workload, bool) {
	for _, set := range []map[string]workload{workloads, serviceWorkloads, faultWorkloads} {
		if w, ok := set[name]; ok {
			return w, true
		}
	}
	return nil, false
}

// listen opens a loopback listener and publishes its address in the
// workload directory.
func listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if dir := os.Getenv(envDir); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, addrFile), []byte(ln.Addr().String()), 0o644); err != nil {
			ln.Close()
			return nil, err
		}
	}
	return ln, nil
}

// mustListen is listen for workloads, which have no error path: a
// workload that cannot listen fails its capture by exiting.
func mustListen() net.Listener {
	ln, err := listen()
	if err != nil {
		fmt.Fprintln(os.Stderr, "workload: listen:", err)
		os.Exit(1)
	}
	return ln
}

// fare is one priced itinerary.
type fare struct {
	Route string    `json:"route"`
	Legs  []float64 `json:"legs"`
	Total float64   `json:"total"`
}

// priceRoute compounds a route's rate over its legs: the request's own
// work, some tens of microseconds.
func priceRoute(route string, legs int) fare {
	f := fare{Route: route}
	r := 1 + float64(len(route))/1000
	p := 100.0
	for i := range legs {
		p = p*r + math.Sqrt(float64(i+1))
		f.Legs = append(f.Legs, math.Round(p*100)/100)
	}
	f.Total = p
	return f
}

// serveQuotes is a busy JSON API on net/http: every request parses its
// query, prices a route and encodes the answer.
func serveQuotes(ctx context.Context) func() {
	ln := mustListen()
	mux := http.NewServeMux()
	mux.HandleFunc("/quote", func(w http.ResponseWriter, r *http.Request) {
		legs, _ := strconv.Atoi(r.URL.Query().Get("legs"))
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(priceRoute(r.URL.Query().Get("route"), min(max(legs, 1), 400)))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	return func() {
		<-ctx.Done()
		_ = srv.Close()
		<-done
	}
}

// lineShard is one part of the line-protocol service's store.
type lineShard struct {
	mu sync.RWMutex
	n  map[string]int
}

// lineStore splits the store by key hash, so connections touching
// different keys never meet on a lock.
type lineStore [64]lineShard

// of returns the key's shard.
func (s *lineStore) of(key string) *lineShard {
	h := fnv.New32a()
	h.Write([]byte(key))
	return &s[h.Sum32()%uint32(len(s))]
}

// serveLines is a key-value service speaking a line protocol over many
// long-lived TCP connections: "GET key" or "ADD key n", one reply line
// each.
func serveLines(ctx context.Context) func() {
	ln := mustListen()
	store := &lineStore{}
	for i := range store {
		store[i].n = map[string]int{}
	}
	var wg sync.WaitGroup
	var connsMu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			connsMu.Lock()
			conns = append(conns, c)
			connsMu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handleLines(c, store)
			}()
		}
	}()
	return func() {
		<-ctx.Done()
		ln.Close()
		connsMu.Lock()
		for _, c := range conns {
			c.Close()
		}
		connsMu.Unlock()
		wg.Wait()
	}
}

// handleLines answers one connection's commands until it closes.
func handleLines(c net.Conn, store *lineStore) {
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		f := strings.Fields(line)
		var reply string
		switch {
		case len(f) == 2 && f[0] == "GET":
			s := store.of(f[1])
			s.mu.RLock()
			reply = strconv.Itoa(s.n[f[1]])
			s.mu.RUnlock()
		case len(f) == 3 && f[0] == "ADD":
			n, _ := strconv.Atoi(f[2])
			s := store.of(f[1])
			s.mu.Lock()
			s.n[f[1]] += n
			reply = strconv.Itoa(s.n[f[1]])
			s.mu.Unlock()
		default:
			reply = "ERR"
		}
		sum := sha256.Sum256([]byte(line))
		fmt.Fprintf(w, "%s %x\n", reply, sum[:4])
		if r.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				return
			}
		}
	}
}

// compressBatches is a batch job: a reader produces records, workers
// compress and checksum them, a writer sorts the results; CPU-bound
// throughout, handing work over channels.
func compressBatches(ctx context.Context) func() {
	in := make(chan []byte, 16)
	out := make(chan [32]byte, 16)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(in)
		for i := 0; ctx.Err() == nil; i++ {
			rec := make([]byte, 16<<10)
			for j := range rec {
				rec[j] = byte((i*31 + j*j) % 251)
			}
			in <- rec
		}
	}()
	var workers sync.WaitGroup
	for range 4 {
		workers.Add(1)
		go func() {
			defer workers.Done()
			zw, _ := flate.NewWriter(io.Discard, flate.DefaultCompression)
			for rec := range in {
				zw.Reset(io.Discard)
				_, _ = zw.Write(rec)
				_ = zw.Close()
				out <- sha256.Sum256(rec)
			}
		}()
	}
	go func() { workers.Wait(); close(out) }()
	wg.Add(1)
	go func() {
		defer wg.Done()
		var batch [][32]byte
		for s := range out {
			batch = append(batch, s)
			if len(batch) == 64 {
				sort.Slice(batch, func(i, j int) bool { return string(batch[i][:]) < string(batch[j][:]) })
				batch = batch[:0]
			}
		}
	}()
	return wg.Wait
}

// idleServer is a service nobody calls: an HTTP server waiting for
// connections and a housekeeping ticker.
func idleServer(ctx context.Context) func() {
	ln := mustListen()
	srv := &http.Server{Handler: http.NewServeMux(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		var n int
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				n++
			}
		}
	}()
	return func() {
		<-ctx.Done()
		_ = srv.Close()
		<-done
	}
}
