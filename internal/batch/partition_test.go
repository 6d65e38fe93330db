package batch

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coroner/coroner/internal/blobstore"
	"github.com/coroner/coroner/internal/s3test"
)

// TestPartitionObjects: a shard identifies every object under a prefix of
// a real S3 endpoint with one ranged request each (its digest, size and
// modification time), the same keys a local run reads from the files, and
// the archives it owns are then analysed without asking for their
// attributes again.
func TestPartitionObjects(t *testing.T) {
	f := getFixtures(t)
	ctx := context.Background()
	ep := s3test.Serve(t, "incidents")
	prefix := s3test.Key(ep.Root, "fleet/")
	uploadDir(t, filepath.Join(f.dir, "archives"), prefix)
	listed, _, err := Expand([]string{prefix})
	if err != nil || len(listed) < len(f.good) {
		t.Fatalf("Expand = %d inputs, %v", len(listed), err)
	}
	// The good archives: an attachment's key hashes all of it, and a
	// damaged archive may be read past its head before it fails.
	local := map[string]string{}
	var inputs []string
	for _, in := range listed {
		for _, g := range f.good {
			if hasArchiveName(g) && strings.HasSuffix(keyOfURL(t, in), "/"+filepath.Base(g)) {
				local[in] = g
				inputs = append(inputs, in)
			}
		}
	}
	if len(inputs) < 2 {
		t.Fatalf("%d good archives among %v", len(inputs), listed)
	}
	out, err := openOutput(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	o := testOptions("", 2)
	o.Shard = Shard{Index: 0, Count: 2}
	r := &runner{o: o, out: out}
	before := ep.Requests()
	owned, ids := r.partition(ctx, inputs)
	if n := ep.Requests() - before; n != int64(len(inputs)) {
		t.Errorf("partition of %d objects made %d requests, want one each", len(inputs), n)
	}
	other := &runner{o: Options{Jobs: 2, Shard: Shard{Index: 1, Count: 2}, AnalyzerSet: testSet}, out: out}
	theirs, _ := other.partition(ctx, inputs)
	// Each object belongs to exactly one shard. (Which one follows from
	// the fixtures' digests, which change from run to run: either shard
	// may own all of them.)
	if len(owned)+len(theirs) != len(inputs) {
		t.Errorf("shards own %d and %d of %d objects", len(owned), len(theirs), len(inputs))
	}
	mine := map[string]bool{}
	for _, in := range owned {
		mine[in] = true
	}
	for _, in := range theirs {
		if mine[in] {
			t.Errorf("%s: owned by both shards", in)
		}
	}
	for _, in := range owned {
		id := ids[in]
		if !id.stat || id.size <= 0 {
			t.Errorf("%s: no size from the ranged read: %+v", in, id)
		}
		key, archive, kerr := keyOf(local[in])
		if (kerr == nil) != (id.err == nil) || key != id.key || archive != id.archive {
			t.Errorf("%s: key %q (archive %v, %v), the file's %q (archive %v, %v)", in, id.key, id.archive, id.err, key, archive, kerr)
		}
	}
	r.ids = ids
	before = ep.Requests()
	for _, in := range owned {
		if _, _, err := r.version(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	if n := ep.Requests() - before; n != 0 {
		t.Errorf("the owned objects' versions took %d more requests", n)
	}
}

// keyOfURL is the object key an s3:// URL names.
func keyOfURL(t *testing.T, u string) string {
	t.Helper()
	loc, err := blobstore.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return loc.Key
}
