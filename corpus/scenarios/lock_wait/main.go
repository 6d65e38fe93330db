// Command lock_wait is a session store behind one sync.RWMutex. Lookups
// take the read lock; a periodic expiry sweep and every login take the
// write lock and do their work while holding it (the sweep walks and
// rebuilds the whole table). Readers pile up behind each writer, so
// request latency is dominated by waiting for the lock, not by work.
package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/coroner/coroner/corpus/scenarios/internal/service"
)

// mutexFraction and blockRate turn on the mutex and block profiles, as a
// service that wants to diagnose lock waits in production would: one in
// five contention events, and every blocking event of a microsecond or more.
const (
	mutexFraction = 5
	blockRate     = int(time.Microsecond)
)

type session struct {
	user    string
	expires time.Time
	seen    uint64
}

type store struct {
	mu       sync.RWMutex
	sessions map[string]*session
}

func (s *store) lookup(id string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	x, ok := s.sessions[id]
	if !ok {
		return "", false
	}
	return x.user, true
}

// login inserts a session and, holding the write lock, recomputes a
// digest over the user's sessions.
func (s *store) login(id, user string, rounds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[id] = &session{user: user, expires: time.Now().Add(time.Hour)}
	h := fnv.New64a()
	for i := 0; i < rounds; i++ {
		h.Write([]byte(user))
	}
	s.sessions[id].seen = h.Sum64()
}

// sweep rebuilds the table without expired sessions, holding the write
// lock throughout.
func (s *store) sweep(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fresh := make(map[string]*session, len(s.sessions))
	for id, x := range s.sessions {
		if x.expires.After(now) {
			fresh[id] = x
		}
	}
	s.sessions = fresh
}

func main() {
	cfg := service.Flags()
	runtime.SetMutexProfileFraction(mutexFraction)
	runtime.SetBlockProfileRate(blockRate)
	s := &store{sessions: map[string]*session{}}
	n := service.Pick(cfg.Severity, 20_000, 100_000)
	for i := range n {
		s.sessions["s"+strconv.Itoa(i)] = &session{user: "u" + strconv.Itoa(i%977), expires: time.Now().Add(time.Hour)}
	}
	rounds := service.Pick(cfg.Severity, 2_000, 20_000)
	mux := http.NewServeMux()
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		u, ok := s.lookup(r.URL.Query().Get("sid"))
		fmt.Fprintln(w, u, ok)
	})
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		sid := r.URL.Query().Get("sid")
		s.login(sid, "u"+sid, rounds)
		fmt.Fprintln(w, "ok")
	})
	service.Serve(cfg, mux, func(ctx context.Context, base string) {
		go func() {
			for ctx.Err() == nil {
				s.sweep(time.Now())
				time.Sleep(service.Pick(cfg.Severity, 50*time.Millisecond, 5*time.Millisecond))
			}
		}()
		service.Load(ctx, base+"/whoami?sid=s42", service.Pick(cfg.Severity, 16, 64), 0)
		service.Load(ctx, base+"/login?sid=7", service.Pick(cfg.Severity, 1, 4), time.Millisecond)
		// In-process callers (a gRPC front end in the real service) hit
		// the store directly.
		for i := range service.Pick(cfg.Severity, 16, 128) {
			go func() {
				id := "s" + strconv.Itoa(i)
				for ctx.Err() == nil {
					s.lookup(id)
					time.Sleep(200 * time.Microsecond)
				}
			}()
		}
	})
}
