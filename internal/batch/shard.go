package batch

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// maxShards bounds a shard count: Kubernetes caps an Indexed Job's
// completions at 100,000 (batch/v1 JobSpec), and more shards than that
// would each own a handful of archives.
const maxShards = 100000

// Shard is one of Count disjoint shares of a batch's inputs, numbered from
// 0 like a Kubernetes Indexed Job's completion index. The zero Shard (and
// any with Count ≤ 1) owns everything.
type Shard struct {
	Index, Count int
}

// ParseShard reads "K/N": shard K (0 ≤ K < N) of N.
func ParseShard(s string) (Shard, error) {
	k, n, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Shard{}, fmt.Errorf("--shard %q: want K/N, shard K (from 0) of N", s)
	}
	return newShard(k, n, "--shard "+strconv.Quote(s))
}

// ShardFromEnv returns the Kubernetes Indexed Job shard: index from
// JOB_COMPLETION_INDEX, count from shards when positive, else from
// JOB_COMPLETIONS. Without JOB_COMPLETION_INDEX it returns the zero Shard.
func ShardFromEnv(getenv func(string) string, shards int) (Shard, error) {
	k := getenv("JOB_COMPLETION_INDEX")
	if k == "" {
		return Shard{}, nil
	}
	n := getenv("JOB_COMPLETIONS")
	if shards > 0 {
		n = strconv.Itoa(shards)
	}
	if n == "" {
		return Shard{}, fmt.Errorf("JOB_COMPLETION_INDEX=%q is set but neither --shards nor JOB_COMPLETIONS gives the shard count", k)
	}
	return newShard(k, n, "JOB_COMPLETION_INDEX="+strconv.Quote(k)+" of "+n)
}

func newShard(k, n, what string) (Shard, error) {
	ki, err1 := strconv.Atoi(strings.TrimSpace(k))
	ni, err2 := strconv.Atoi(strings.TrimSpace(n))
	if err1 != nil || err2 != nil || ni < 1 || ni > maxShards || ki < 0 || ki >= ni {
		return Shard{}, fmt.Errorf("%s: want shard K of N with 0 ≤ K < N ≤ %d", what, maxShards)
	}
	return Shard{Index: ki, Count: ni}, nil
}

// Sharded reports whether s owns less than everything.
func (s Shard) Sharded() bool { return s.Count > 1 }

// Owns reports whether the input keyed key (an archive digest, or another
// stable name) falls in s: the first 8 bytes of the key's SHA-256, modulo
// Count. Hashing the key again spreads attachment keys and names as evenly
// as digests, and every worker computes the same owner whatever order it
// listed the inputs in.
func (s Shard) Owns(key string) bool {
	if !s.Sharded() {
		return true
	}
	sum := sha256.Sum256([]byte(key))
	return binary.BigEndian.Uint64(sum[:8])%uint64(s.Count) == uint64(s.Index)
}

// String is "K/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// SummaryName is the summary file a run of shard s writes: each shard of a
// shared output directory its own, so shards do not overwrite each other's.
func (s Shard) SummaryName() string {
	if !s.Sharded() {
		return SummaryFile
	}
	return fmt.Sprintf("summary.shard-%d-of-%d.json", s.Index, s.Count)
}
