// Command healthy_tcp is a counter service speaking a line protocol over
// many long-lived TCP connections: clients send "GET key" or "ADD key n"
// and read one reply line each, with think time between commands. Every
// request passes through the netpoller and back, yet each wake-up reads
// a command and answers it — the baseline a netpoll analysis must leave
// alone.
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"hash/fnv"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coroner/coroner/corpus/scenarios/internal/service"
)

// shard is one part of the service's state, by key hash.
type shard struct {
	mu sync.RWMutex
	n  map[string]int
}

// counters is the service's state, shared by every connection and split
// into shards so connections touching different keys never meet.
type counters [64]shard

// of returns the key's shard.
func (c *counters) of(key string) *shard {
	h := fnv.New32a()
	h.Write([]byte(key))
	return &c[h.Sum32()%uint32(len(c))]
}

// answer runs one command.
func (c *counters) answer(line string) string {
	f := strings.Fields(line)
	switch {
	case len(f) == 2 && f[0] == "GET":
		s := c.of(f[1])
		s.mu.RLock()
		defer s.mu.RUnlock()
		return strconv.Itoa(s.n[f[1]])
	case len(f) == 3 && f[0] == "ADD":
		d, err := strconv.Atoi(f[2])
		if err != nil {
			return "ERR bad number"
		}
		s := c.of(f[1])
		s.mu.Lock()
		defer s.mu.Unlock()
		s.n[f[1]] += d
		return strconv.Itoa(s.n[f[1]])
	}
	return "ERR unknown command"
}

// serve answers one connection until it closes, flushing when no more
// commands are buffered.
func (c *counters) serve(conn net.Conn) {
	defer conn.Close()
	r, w := bufio.NewReader(conn), bufio.NewWriter(conn)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		sum := sha256.Sum256([]byte(line))
		fmt.Fprintf(w, "%s %x\n", c.answer(line), sum[:4])
		if r.Buffered() == 0 && w.Flush() != nil {
			return
		}
	}
}

// client holds one connection and sends a command every pause or so.
func client(ctx context.Context, addr string, id int, pause time.Duration) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	for j := 0; ctx.Err() == nil; j++ {
		cmd := fmt.Sprintf("GET k%d\n", (id+j)%1000)
		if j%4 == 0 {
			cmd = fmt.Sprintf("ADD k%d %d\n", (id+j)%1000, j%7)
		}
		if _, err := io.WriteString(conn, cmd); err != nil {
			return
		}
		if _, err := r.ReadString('\n'); err != nil {
			return
		}
		time.Sleep(pause/2 + time.Duration((id*131+j*17)%1000)*pause/1000)
	}
}

func main() {
	cfg := service.Flags()
	conns := service.Pick(cfg.Severity, 64, 512)
	c := &counters{}
	for i := range c {
		c[i].n = map[string]int{}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go c.serve(conn)
		}
	}()
	service.Serve(cfg, http.NewServeMux(), func(ctx context.Context, base string) {
		for i := range conns {
			go client(ctx, ln.Addr().String(), i, 10*time.Millisecond)
		}
	})
}
