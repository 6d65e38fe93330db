package syncpool

import (
	"fmt"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/internal/pprofs"
	"github.com/coroner/coroner/analyze/internal/stacks"
)

// poolWaits is what a contention profile shows of pool locks.
type poolWaits struct {
	share       float64 // of all recorded delay
	contentions int64   // events in pool frames
	// waiters is the pool's delay over the profile's duration (average
	// goroutines waiting); -1 when the profile has no duration.
	waiters float64
	user    *analyze.Culprit
}

// fromContention reads pool frames in mutex and block profiles; only the
// mutex profile grades, and only over minPoolContentions events that
// amount to minPoolWaiters.
func (g *gathered) fromContention(pass *analyze.Pass) {
	for _, l := range pprofs.Of(pass).All() {
		if l.Type != pprofs.Mutex && l.Type != pprofs.Block {
			continue
		}
		w, ok := poolDelay(l)
		if !ok {
			continue
		}
		pass.Used(l.Artifact.Path)
		g.families = append(g.families, string(l.Type)+" profile")
		note := fmt.Sprintf("%d contention events in pool frames", w.contentions)
		if w.waiters >= 0 {
			note += fmt.Sprintf(", %.3f goroutines waiting on average", w.waiters)
		}
		bases := []analyze.Basis{{Metric: "pool_contentions", Count: float64(w.contentions), Min: minPoolContentions, Unit: "contentions",
			Artifact: l.Artifact.Path, Why: "a starting service's first Gets on each P take allPoolsMu (pinSlow)"}}
		if w.waiters >= 0 {
			bases = append(bases, analyze.Basis{Metric: "pool_waiters", Count: analyze.Round(w.waiters), Min: minPoolWaiters, Unit: "goroutines",
				Artifact: l.Artifact.Path, Why: "waits adding up to under 5 % of one goroutine's time cannot make an incident"})
		}
		enough := g.enough(bases...)
		if !enough {
			note = "insufficient data: " + note
		} else {
			g.judged = true
			if l.Type == pprofs.Mutex {
				sev, _ := analyze.Grade(w.share, mutexShareWarn, 0)
				g.sev = max(g.sev, sev)
			}
		}
		g.ev = append(g.ev, analyze.Evidence{Metric: string(l.Type) + "_delay_share_in_pool", Value: analyze.Round(w.share), Unit: "fraction",
			Artifact: l.Artifact.Path, Threshold: analyze.Threshold(mutexShareWarn), Note: note})
		if enough && g.culprit == nil && w.user != nil {
			g.culprit = w.user
		}
	}
}

// poolDelay returns what a contention profile shows of pool frames; ok is
// false when it shows none.
func poolDelay(l pprofs.Loaded) (poolWaits, bool) {
	idx := pprofs.SampleIndex(l.Profile, "delay")
	cidx := pprofs.SampleIndex(l.Profile, "contentions")
	if idx < 0 {
		return poolWaits{}, false
	}
	var total, pool, best int64
	w := poolWaits{waiters: -1}
	for _, s := range l.Profile.Sample {
		if idx >= len(s.Value) {
			continue
		}
		v := s.Value[idx]
		total += v
		st := pprofs.Stack(s)
		i, ok := stacks.Any(st, stacks.IsSyncPoolAny)
		if !ok {
			continue
		}
		pool += v
		if cidx >= 0 && cidx < len(s.Value) {
			w.contentions += s.Value[cidx]
		}
		if u := stacks.FirstUser(st, i+1); u >= 0 && v > best {
			best = v
			w.user = &analyze.Culprit{Function: st[u].Func, File: st[u].File, Line: st[u].Line}
		}
	}
	if total <= 0 || pool <= 0 {
		return poolWaits{}, false
	}
	w.share = float64(pool) / float64(total)
	if d := time.Duration(l.Profile.DurationNanos); d > 0 {
		w.waiters = float64(pool) / float64(d)
	}
	return w, true
}
