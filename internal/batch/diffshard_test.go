package batch

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestDiffShardedOutput: a local output that shards filled (a summary per
// shard, no summary.json) diffs as its stored results, against a plain
// run's output, rather than failing on the shards' summaries.
func TestDiffShardedOutput(t *testing.T) {
	f := getFixtures(t)
	ctx := context.Background()
	plain, sharded := t.TempDir(), t.TempDir()
	if _, err := Run(ctx, f.good, nil, testOptions(plain, 2)); err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 2; k++ {
		o := testOptions(sharded, 1)
		o.Shard = Shard{Index: k, Count: 2}
		if _, err := Run(ctx, f.good, nil, o); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(sharded, SummaryFile)); err == nil {
		t.Fatalf("sharded runs wrote %s", SummaryFile)
	}
	old, err := LoadSide(plain)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := LoadSide(sharded)
	if err != nil {
		t.Fatalf("sharded output: %v", err)
	}
	d := Compare(old, cur)
	if d.Compared != len(f.good) || len(d.Changes) != 0 {
		t.Errorf("plain against sharded output: compared %d of %d, %d changes: %+v", d.Compared, len(f.good), len(d.Changes), d.Changes)
	}
}
