package goroutines

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
)

// maxGroupIDs bounds how many goroutine IDs a group keeps as examples.
const maxGroupIDs = 16

// Bucket is a group of goroutines with the same state and the same
// normalized stack (functions, files and lines; no addresses, arguments or
// goroutine IDs).
type Bucket struct {
	// Key identifies the bucket; stable across runs on the same input.
	Key        string `json:"key"`
	Count      int    `json:"count"`
	Status     string `json:"status"`
	WaitReason string `json:"wait_reason,omitempty"`
	// MinWait and MaxWait are the shortest and longest recorded waits in
	// minutes (-1 when unknown).
	MinWait int     `json:"min_wait_minutes"`
	MaxWait int     `json:"max_wait_minutes"`
	Frames  []Frame `json:"frames"`
	// CreatedBy is the go statement of the first member.
	CreatedBy *Frame `json:"created_by,omitempty"`
	System    bool   `json:"system,omitempty"`
	// IDs lists up to 16 member goroutine IDs, ascending.
	IDs []int64 `json:"ids,omitempty"`
	// LockAddrs lists the distinct lock or channel addresses members wait on.
	LockAddrs []uint64 `json:"lock_addrs,omitempty"`
	// Labels are the pprof labels every member shares.
	Labels map[string]string `json:"labels,omitempty"`
	// Crashed is set when the crashing goroutine is a member.
	Crashed bool `json:"crashed,omitempty"`
}

// Group buckets the census's goroutines by state and normalized stack and
// returns the buckets largest first (ties by key), so the output is
// deterministic.
func Group(c *Census) []Bucket {
	return group(len(c.Goroutines), func(i int) *Goroutine { return &c.Goroutines[i] })
}

// GroupPointers is Group for goroutines held by pointer, such as some
// of a census's, without copying them into a census of their own.
func GroupPointers(gs []*Goroutine) []Bucket {
	return group(len(gs), func(i int) *Goroutine { return gs[i] })
}

// group buckets the n goroutines at returns.
func group(n int, at func(int) *Goroutine) []Bucket {
	idx := map[string]int{}
	// byStack finds the bucket of goroutines that share a stack (StackID)
	// and state without building their key again; lastOf, most often,
	// without hashing the state.
	byStack := map[stackState]int{}
	var lastOf StateCache[stackState, int]
	var out []Bucket
	var addrs []map[uint64]bool // per bucket, the lock addresses in LockAddrs
	var kb []byte               // the key, rebuilt per stack; a string only for a new group
	for i := range n {
		g := at(i)
		ss := stackState{g.Status, g.WaitReason, IDOf(g.Frames)}
		j, ok := lastOf.Get(ss.stack, ss)
		if !ok {
			if j, ok = byStack[ss]; ok {
				lastOf.Put(ss.stack, ss, j)
			}
		}
		if !ok {
			kb = appendGroupKey(kb[:0], g)
			if j, ok = idx[string(kb)]; !ok {
				k := string(kb)
				j = len(out)
				idx[k] = j
				out = append(out, Bucket{Key: k, Status: g.Status, WaitReason: g.WaitReason,
					MinWait: g.WaitMinutes, MaxWait: g.WaitMinutes, Frames: g.Frames,
					CreatedBy: g.CreatedBy, System: g.System, Labels: copyLabels(g.Labels)})
				addrs = append(addrs, nil)
			}
			byStack[ss] = j
			lastOf.Put(ss.stack, ss, j)
		}
		gr := &out[j]
		n := g.Count
		if n <= 0 {
			n = 1
		}
		gr.Count += n
		gr.MinWait = min(gr.MinWait, g.WaitMinutes)
		gr.MaxWait = max(gr.MaxWait, g.WaitMinutes)
		if g.ID >= 0 {
			gr.IDs = appendID(gr.IDs, g.ID)
		}
		if g.LockAddr != 0 && !addrs[j][g.LockAddr] {
			if addrs[j] == nil {
				addrs[j] = map[uint64]bool{}
			}
			addrs[j][g.LockAddr] = true
			gr.LockAddrs = append(gr.LockAddrs, g.LockAddr)
		}
		if ok {
			intersectLabels(gr.Labels, g.Labels)
		}
		gr.Crashed = gr.Crashed || g.Crashed
	}
	for i := range out {
		sort.Slice(out[i].LockAddrs, func(a, b int) bool { return out[i].LockAddrs[a] < out[i].LockAddrs[b] })
		out[i].Key = shortKey(out[i].Key)
		if len(out[i].Labels) == 0 {
			out[i].Labels = nil
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// appendGroupKey appends the group key: state and normalized stack.
func appendGroupKey(b []byte, g *Goroutine) []byte {
	b = append(b, g.Status...)
	b = append(b, '|')
	b = append(b, g.WaitReason...)
	for _, f := range g.Frames {
		b = append(b, '|')
		b = append(b, f.Func...)
		b = append(b, ' ')
		b = append(b, f.File...)
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(f.Line), 10)
	}
	return b
}

func shortKey(k string) string {
	h := sha256.Sum256([]byte(k))
	return hex.EncodeToString(h[:8])
}

// appendID keeps the smallest maxGroupIDs IDs, ascending.
func appendID(ids []int64, id int64) []int64 {
	i := sort.Search(len(ids), func(i int) bool { return ids[i] >= id })
	if i == maxGroupIDs {
		return ids
	}
	ids = append(ids, 0)
	copy(ids[i+1:], ids[i:])
	ids[i] = id
	if len(ids) > maxGroupIDs {
		ids = ids[:maxGroupIDs]
	}
	return ids
}

// stackState is a goroutine's state and shared stack: goroutines alike
// in it are in the same group.
type stackState struct {
	status, waitReason string
	stack              StackID
}

func copyLabels(l map[string]string) map[string]string {
	if len(l) == 0 {
		return nil
	}
	m := make(map[string]string, len(l))
	for k, v := range l {
		m[k] = v
	}
	return m
}

func intersectLabels(dst, src map[string]string) {
	for k, v := range dst {
		if src[k] != v {
			delete(dst, k)
		}
	}
}

// Summary counts a census by status, wait reason and system/user.
type Summary struct {
	Total  int            `json:"total"`
	User   int            `json:"user"`
	System int            `json:"system"`
	Status map[string]int `json:"status"`
	// Wait counts waiting goroutines by wait reason.
	Wait map[string]int `json:"wait,omitempty"`
}

// Summarize counts the census.
func Summarize(c *Census) Summary {
	s := Summary{Status: map[string]int{}, Wait: map[string]int{}}
	var status, wait tally
	for i := range c.Goroutines {
		g := &c.Goroutines[i]
		n := max(g.Count, 1)
		s.Total += n
		if g.System {
			s.System += n
		} else {
			s.User += n
		}
		status.add(s.Status, g.Status, n)
		if g.WaitReason != "" {
			wait.add(s.Wait, g.WaitReason, n)
		}
	}
	status.flush(s.Status)
	wait.flush(s.Wait)
	return s
}

// maxTally is how many distinct strings a tally counts on its own before
// it hands the rest to its map: a census's states take a few statuses and
// a few dozen of the runtime's wait reasons.
const maxTally = 64

// tally counts strings for a map of counts. A census's few distinct
// states are matched by a search of those seen, which compares the
// strings a decoded census shares by their pointers first, where a map
// hashed every goroutine's two strings (60 ms of a million goroutines'
// summary); past maxTally distinct strings, the map counts.
type tally struct {
	keys   []string
	counts []int
}

func (t *tally) add(m map[string]int, k string, n int) {
	for i := range t.keys {
		if t.keys[i] == k {
			t.counts[i] += n
			return
		}
	}
	if len(t.keys) < maxTally {
		t.keys = append(t.keys, k)
		t.counts = append(t.counts, n)
		return
	}
	m[k] += n
}

// flush adds the counts kept to m.
func (t *tally) flush(m map[string]int) {
	for i, k := range t.keys {
		m[k] += t.counts[i]
	}
}
