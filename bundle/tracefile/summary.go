package tracefile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"golang.org/x/exp/trace"
)

// STW is one stop-the-world range of the trace.
type STW struct {
	// At is the offset from the trace's first event.
	At       time.Duration
	Duration time.Duration
	// Reason is the runtime's reason: "gc sweep termination", "gc mark
	// termination", "stop-the-world (read mem stats)", …
	Reason string
}

// Frame is one frame of a trace stack, innermost first.
type Frame struct {
	Func string
	File string
	Line int
}

// BlockSite aggregates goroutine blocking by reason and stack.
type BlockSite struct {
	// Reason is the runtime's block reason ("sync", "chan receive",
	// "select", "sleep", "sync.(*Cond).Wait", "network", …).
	Reason string
	// Frames is the blocking call's stack (at most maxSiteFrames).
	Frames []Frame
	Count  int64
	Total  time.Duration
	// SchedWakeups counts the blocks ended outside any goroutine: by the
	// scheduler running timers or polling the network on its way to find
	// work, rather than by another goroutine's send, unlock or close.
	SchedWakeups int64
}

// Summary is what the analyzers need from an execution trace.
type Summary struct {
	// Duration is the time between the trace's first and last events.
	Duration time.Duration
	// STW lists the stop-the-world ranges in time order (at most maxSTW;
	// STWCount and STWTotal cover all).
	STW      []STW
	STWCount int
	STWTotal time.Duration
	// GCCycles counts completed concurrent mark phases; GCMarkTime sums their
	// wall-clock time.
	GCCycles   int
	GCMarkTime time.Duration
	// AssistTime sums goroutines' time in GC mark assists.
	AssistTime time.Duration
	// SweepTime sums incremental sweeping done by Ps.
	SweepTime time.Duration
	// GOMAXPROCS, HeapGoalMax and HeapLiveMax come from the runtime's metric
	// events.
	GOMAXPROCS  int
	HeapGoalMax uint64
	HeapLiveMax uint64
	// Blocks are where goroutines blocked, heaviest first (at most
	// maxSites; BlockTotal covers all).
	Blocks     []BlockSite
	BlockTotal time.Duration
	BlockCount int64
	// Assists are where goroutines were drafted into GC mark assists — the
	// allocation sites outrunning the collector — heaviest first (at most
	// keptSites), with Reason "GC mark assist".
	Assists []BlockSite
	// GCStarts are the stacks that started each GC cycle the trace saw
	// begin (the runtime records the caller of gcStart with the GC-begin
	// event): an allocation crossing the heap trigger (mallocgc), an
	// explicit runtime.GC or debug.FreeOSMemory and its caller, or the
	// periodic collection (forcegchelper). Heaviest first by Count, with
	// Reason "GC start"; at most keptSites.
	GCStarts []BlockSite
	// Events counts the events read.
	Events int64
	// Truncated is set when the trace ended in an error (typically a cut
	// file); the figures cover what was read before it.
	Truncated bool
	Warning   string
}

// Bounds on what a summary keeps, so memory stays flat for long traces:
// the STW list feeds a timeline (a service stopping the world every
// millisecond for a minute gives 60k ranges), the block sites a ranking.
const (
	maxSTW        = 100000
	maxSites      = 10000
	maxSiteFrames = 16
	keptSites     = 200
)

// Summarizer folds trace events into a Summary: New, then Event for each
// event in order, then Finalize.
type Summarizer struct {
	s        Summary
	first    trace.Time
	last     trace.Time
	started  bool
	open     map[rangeKey]trace.Time
	blocked  map[trace.GoID]blockStart
	sites    map[string]*BlockSite
	overflow *BlockSite
	assists  map[string]*BlockSite
	inAssist map[trace.ResourceID]*BlockSite
	gcStarts map[string]*BlockSite
}

type rangeKey struct {
	scope trace.ResourceID
	name  string
}

type blockStart struct {
	at   trace.Time
	site *BlockSite
}

// NewSummarizer starts a summary.
func NewSummarizer() *Summarizer {
	return &Summarizer{open: map[rangeKey]trace.Time{}, blocked: map[trace.GoID]blockStart{},
		sites: map[string]*BlockSite{}, assists: map[string]*BlockSite{}, inAssist: map[trace.ResourceID]*BlockSite{},
		gcStarts: map[string]*BlockSite{}}
}

// Event folds one event into the summary.
func (z *Summarizer) Event(e *trace.Event) {
	t := e.Time()
	if !z.started {
		z.first, z.started = t, true
	}
	if t > z.last {
		z.last = t
	}
	z.s.Events++
	switch e.Kind() {
	case trace.EventRangeBegin, trace.EventRangeActive:
		r := e.Range()
		k := rangeKey{r.Scope, r.Name}
		start := t
		if e.Kind() == trace.EventRangeActive {
			// The reader repeats every range in progress at the start of
			// each generation (about once a second): one already open
			// keeps its start; one opened before the trace began counts
			// from the trace's first event.
			if _, open := z.open[k]; open {
				break
			}
			start = z.first
		}
		z.open[k] = start
		if r.Name == "GC mark assist" {
			site := z.siteIn(z.assists, r.Name, e.Stack())
			site.Count++
			z.inAssist[r.Scope] = site
		}
		if r.Name == "GC concurrent mark phase" && e.Kind() == trace.EventRangeBegin {
			z.siteIn(z.gcStarts, "GC start", e.Stack()).Count++
		}
	case trace.EventRangeEnd:
		r := e.Range()
		k := rangeKey{r.Scope, r.Name}
		if site := z.inAssist[r.Scope]; site != nil && r.Name == "GC mark assist" {
			if start, ok := z.open[k]; ok {
				site.Total += t.Sub(start)
			}
			delete(z.inAssist, r.Scope)
		}
		start, ok := z.open[k]
		if !ok {
			start = z.first // began before the trace
		}
		delete(z.open, k)
		z.endRange(r.Name, start, t)
	case trace.EventMetric:
		m := e.Metric()
		if m.Value.Kind() != trace.ValueUint64 {
			break
		}
		v := m.Value.Uint64()
		switch m.Name {
		case "/sched/gomaxprocs:threads":
			z.s.GOMAXPROCS = int(min(v, 1<<20))
		case "/gc/heap/goal:bytes":
			z.s.HeapGoalMax = max(z.s.HeapGoalMax, v)
		case "/memory/classes/heap/objects:bytes":
			z.s.HeapLiveMax = max(z.s.HeapLiveMax, v)
		}
	case trace.EventStateTransition:
		z.transition(e, t)
	}
}

func (z *Summarizer) endRange(name string, start, end trace.Time) {
	d := end.Sub(start)
	switch {
	case strings.HasPrefix(name, "stop-the-world ("):
		z.s.STWCount++
		z.s.STWTotal += d
		if len(z.s.STW) < maxSTW {
			z.s.STW = append(z.s.STW, STW{At: start.Sub(z.first), Duration: d,
				Reason: strings.TrimSuffix(strings.TrimPrefix(name, "stop-the-world ("), ")")})
		}
	case name == "GC concurrent mark phase":
		z.s.GCCycles++
		z.s.GCMarkTime += d
	case name == "GC mark assist":
		z.s.AssistTime += d
	case name == "GC incremental sweep":
		z.s.SweepTime += d
	}
}

// transition tracks goroutines blocking and unblocking.
func (z *Summarizer) transition(e *trace.Event, t trace.Time) {
	st := e.StateTransition()
	if st.Resource.Kind != trace.ResourceGoroutine {
		return
	}
	g := st.Resource.Goroutine()
	from, to := st.Goroutine()
	switch {
	case from == trace.GoRunning && to == trace.GoWaiting:
		z.blocked[g] = blockStart{at: t, site: z.site(st.Reason, st.Stack)}
	case from == trace.GoWaiting && to != trace.GoWaiting:
		b, ok := z.blocked[g]
		if !ok {
			return
		}
		delete(z.blocked, g)
		d := t.Sub(b.at)
		if e.Goroutine() == trace.NoGoroutine {
			b.site.SchedWakeups++
		}
		b.site.Count++
		b.site.Total += d
		z.s.BlockCount++
		z.s.BlockTotal += d
	}
}

// site finds or makes the aggregate for a block reason and stack.
func (z *Summarizer) site(reason string, stk trace.Stack) *BlockSite {
	return z.siteIn(z.sites, reason, stk)
}

// siteIn finds or makes the aggregate for reason and stack in sites.
func (z *Summarizer) siteIn(sites map[string]*BlockSite, reason string, stk trace.Stack) *BlockSite {
	var frames []Frame
	var key strings.Builder
	key.WriteString(reason)
	for f := range stk.Frames() {
		if len(frames) >= maxSiteFrames {
			break
		}
		frames = append(frames, Frame{Func: f.Func, File: f.File, Line: int(min(f.Line, 1<<31-1))})
		fmt.Fprintf(&key, "|%s:%d", f.Func, f.Line)
	}
	k := key.String()
	if s := sites[k]; s != nil {
		return s
	}
	if len(sites) >= maxSites {
		if z.overflow == nil {
			z.overflow = &BlockSite{Reason: "other (too many distinct sites)"}
		}
		return z.overflow
	}
	s := &BlockSite{Reason: reason, Frames: frames}
	sites[k] = s
	return s
}

// Finalize closes open blocks at the trace's end and returns the summary.
func (z *Summarizer) Finalize() *Summary {
	for _, b := range z.blocked {
		d := z.last.Sub(b.at)
		b.site.Count++
		b.site.Total += d
		z.s.BlockCount++
		z.s.BlockTotal += d
	}
	z.blocked = map[trace.GoID]blockStart{}
	z.s.Duration = z.last.Sub(z.first)
	sites := make([]BlockSite, 0, len(z.sites)+1)
	for _, s := range z.sites {
		sites = append(sites, *s)
	}
	if z.overflow != nil {
		sites = append(sites, *z.overflow)
	}
	z.s.Blocks = rankSites(sites)
	assists := make([]BlockSite, 0, len(z.assists))
	for _, s := range z.assists {
		assists = append(assists, *s)
	}
	z.s.Assists = rankSites(assists)
	starts := make([]BlockSite, 0, len(z.gcStarts))
	for _, s := range z.gcStarts {
		starts = append(starts, *s)
	}
	z.s.GCStarts = rankByCount(starts)
	sort.SliceStable(z.s.STW, func(i, j int) bool { return z.s.STW[i].At < z.s.STW[j].At })
	return &z.s
}

// rankSites sorts sites heaviest first (deterministically) and keeps the
// top keptSites.
func rankSites(sites []BlockSite) []BlockSite {
	sort.Slice(sites, func(i, j int) bool {
		if sites[i].Total != sites[j].Total {
			return sites[i].Total > sites[j].Total
		}
		if sites[i].Reason != sites[j].Reason {
			return sites[i].Reason < sites[j].Reason
		}
		return fmt.Sprint(sites[i].Frames) < fmt.Sprint(sites[j].Frames)
	})
	if len(sites) > keptSites {
		sites = sites[:keptSites]
	}
	return sites
}

// rankByCount sorts sites by count, most first (deterministically), and
// keeps the top keptSites.
func rankByCount(sites []BlockSite) []BlockSite {
	sort.Slice(sites, func(i, j int) bool {
		if sites[i].Count != sites[j].Count {
			return sites[i].Count > sites[j].Count
		}
		return fmt.Sprint(sites[i].Frames) < fmt.Sprint(sites[j].Frames)
	})
	if len(sites) > keptSites {
		sites = sites[:keptSites]
	}
	return sites
}

// Summarize reads the trace in r to its end (or ctx's) and summarizes it.
// A trace that ends in a decoding error — a file cut short — still gives
// the summary of what came before, with Truncated set and the error named.
func Summarize(ctx context.Context, r io.Reader, name string) (sum *Summary, err error) {
	return SummarizeWith(ctx, r, name, nil)
}

// SummarizeWith is Summarize that also hands every event to also (when
// not nil), so another reading of the trace shares its single decoding
// pass.
func SummarizeWith(ctx context.Context, r io.Reader, name string, also func(*trace.Event)) (sum *Summary, err error) {
	z := NewSummarizer()
	defer func() {
		if p := recover(); p != nil {
			sum = z.Finalize()
			sum.Truncated = true
			sum.Warning = fmt.Sprintf("%s: trace decoder failed after %d events: %v", name, sum.Events, p)
			err = nil
		}
	}()
	rd, err := trace.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable execution trace: %w", name, err)
	}
	// One variable for every event: handed on by pointer, an event
	// declared in the loop would be allocated anew each time.
	var e trace.Event
	for {
		if z.s.Events%4096 == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", name, ctx.Err())
		}
		var rerr error
		e, rerr = rd.ReadEvent()
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			sum := z.Finalize()
			sum.Truncated = true
			sum.Warning = fmt.Sprintf("%s: trace ends in an error after %d events: %v", name, sum.Events, rerr)
			return sum, nil
		}
		z.Event(&e)
		if also != nil {
			also(&e)
		}
	}
	return z.Finalize(), nil
}
