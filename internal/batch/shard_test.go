package batch

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/coroner/coroner/internal/index"
	"github.com/coroner/coroner/internal/pgtest"
)

func TestParseShard(t *testing.T) {
	for in, want := range map[string]Shard{"0/1": {0, 1}, "3/4": {3, 4}, " 2 / 5 ": {2, 5}} {
		got, err := ParseShard(in)
		if err != nil || got != want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1", "4/4", "-1/4", "1/0", "a/b", "1/4/5", "0/100001"} {
		if s, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) = %v, want an error", bad, s)
		}
	}
}

func TestShardFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		env    map[string]string
		shards int
		want   Shard
		bad    bool
	}{
		{env: nil, want: Shard{}},
		{env: map[string]string{"JOB_COMPLETION_INDEX": "2", "JOB_COMPLETIONS": "4"}, want: Shard{2, 4}},
		{env: map[string]string{"JOB_COMPLETION_INDEX": "2", "JOB_COMPLETIONS": "4"}, shards: 8, want: Shard{2, 8}},
		{env: map[string]string{"JOB_COMPLETION_INDEX": "2"}, shards: 3, want: Shard{2, 3}},
		{env: map[string]string{"JOB_COMPLETION_INDEX": "2"}, bad: true},
		{env: map[string]string{"JOB_COMPLETION_INDEX": "4", "JOB_COMPLETIONS": "4"}, bad: true},
		{env: map[string]string{"JOB_COMPLETION_INDEX": "x", "JOB_COMPLETIONS": "4"}, bad: true},
	} {
		got, err := ShardFromEnv(env(tc.env), tc.shards)
		if (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
			t.Errorf("ShardFromEnv(%v, %d) = %v, %v; want %v (error %v)", tc.env, tc.shards, got, err, tc.want, tc.bad)
		}
	}
}

func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/1", "3/4", "4/4", "-1/2", "9999999999999999999/1", " 1 /2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := ParseShard(s)
		if err == nil && (sh.Index < 0 || sh.Index >= sh.Count || sh.Count > maxShards) {
			t.Errorf("ParseShard(%q) = %v: out of range", s, sh)
		}
	})
}

// TestShardsOwnEachKeyOnce: every key belongs to exactly one of N shards,
// and every shard gets some of a thousand digests.
func TestShardsOwnEachKeyOnce(t *testing.T) {
	const n = 7
	per := make([]int, n)
	for i := range 1000 {
		key := fmt.Sprintf("%064x", i*7919)
		owners := 0
		for k := range n {
			if (Shard{k, n}).Owns(key) {
				owners++
				per[k]++
			}
		}
		if owners != 1 {
			t.Fatalf("key %s owned by %d shards", key, owners)
		}
	}
	for k, c := range per {
		if c == 0 {
			t.Errorf("shard %d/%d owns none of 1000 keys", k, n)
		}
	}
}

// TestShardedBatch runs three shards at once over the fixtures into one
// output directory and one PostgreSQL index: each input is analyzed by
// exactly one shard, whatever order it listed them in, the index holds one
// row per archive, and re-running a shard analyzes nothing.
func TestShardedBatch(t *testing.T) {
	f := getFixtures(t)
	dsn := pgtest.DSN(t)
	out := t.TempDir()
	const n = 3
	inputs := append(append([]string(nil), f.good...), "missing-one.tar.zst")
	sums := make([]*Summary, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for k := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			listed := slices.Clone(f.good)
			if k%2 == 1 { // another worker lists in another order
				slices.Reverse(listed)
			}
			o := testOptions(out, 1)
			o.Index, o.Shard = dsn, Shard{k, n}
			sums[k], errs[k] = Run(context.Background(), listed, []string{"missing-one.tar.zst"}, o)
		}()
	}
	wg.Wait()
	seen := map[string]int{}
	for k, s := range sums {
		if errs[k] != nil && s.Failed == 0 {
			t.Fatalf("shard %d: %v", k, errs[k])
		}
		for _, e := range s.Entries {
			seen[e.Input]++
			if e.Status != StatusOK && e.Input != "missing-one.tar.zst" {
				t.Errorf("shard %d: %s %s: %s", k, e.Input, e.Status, e.Error)
			}
		}
		t.Logf("shard %d/%d: %d inputs", k, n, len(s.Entries))
	}
	for _, in := range inputs {
		if seen[in] != 1 {
			t.Errorf("%s listed by %d shards, want 1", in, seen[in])
		}
	}
	db, err := index.OpenExisting(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if c, err := db.Count(context.Background()); err != nil || c != len(f.good) {
		t.Errorf("index holds %d rows, %v; want %d", c, err, len(f.good))
	}
	for k := range n {
		o := testOptions(out, 1)
		o.Index, o.Shard = dsn, Shard{k, n}
		s, cached, _ := run(t, f.good, []string{"missing-one.tar.zst"}, o)
		for in, c := range cached {
			if !c && in != "missing-one.tar.zst" {
				t.Errorf("re-run of shard %d analyzed %s again", k, in)
			}
		}
		if len(s.Entries) != len(sums[k].Entries) {
			t.Errorf("re-run of shard %d listed %d inputs, first run %d", k, len(s.Entries), len(sums[k].Entries))
		}
	}
}
