package batch

import (
	"context"
	"io/fs"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/internal/blobstore"
	"github.com/coroner/coroner/internal/s3test"
)

// uploadDir copies every file under dir to the prefix url, under the same
// relative names.
func uploadDir(t *testing.T, dir, url string) {
	t.Helper()
	ctx := context.Background()
	loc, err := blobstore.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		return loc.Upload(ctx, loc.Join(filepath.ToSlash(rel)), p)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCompareObjectStore: two batch outputs in a real S3 endpoint diff as
// the same outputs on disk do, read through their summaries or, without
// them, their stored results; single result objects compare directly; and
// --compare-to writes its diff into an object-store output.
func TestCompareObjectStore(t *testing.T) {
	f := getFixtures(t)
	ctx := context.Background()
	root := s3test.Start(t, "reanalysis")
	prev, cur := t.TempDir(), t.TempDir()
	if _, err := Run(ctx, f.good, nil, testOptions(prev, 2)); err != nil {
		t.Fatal(err)
	}
	o := testOptions(cur, 2)
	o.AnalyzerSet = testSet + "-next"
	s, err := Run(ctx, f.good, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	var e Entry
	for _, x := range s.Entries {
		if !isAttachmentKey(x.Key) {
			e = x
			break
		}
	}
	// The newer analyzers blame another culprit in one result.
	resPath := filepath.Join(cur, e.Result)
	res, err := ReadResult(resPath)
	if err != nil {
		t.Fatal(err)
	}
	res.Verdict.Cause = analyze.CauseLockWait
	res.Verdict.Culprit = &analyze.Culprit{Function: "main.(*store).update"}
	if err := writeJSON(resPath, res); err != nil {
		t.Fatal(err)
	}
	uploadDir(t, prev, s3test.Key(root, "prev/"))
	uploadDir(t, cur, s3test.Key(root, "cur/"))
	uploadDir(t, filepath.Join(cur, resultsDir), s3test.Key(root, "results-only/"+resultsDir+"/"))

	diff := func(a, b string) *Diff {
		t.Helper()
		old, err := LoadSide(a)
		if err != nil {
			t.Fatal(err)
		}
		cur, err := LoadSide(b)
		if err != nil {
			t.Fatal(err)
		}
		return Compare(old, cur)
	}
	// The summaries still tell the outcomes the runs had: no change.
	local := diff(prev, cur)
	remote := diff(s3test.Key(root, "prev/"), s3test.Key(root, "cur"))
	if local.Compared != len(f.good) || !reflect.DeepEqual(local.Changes, remote.Changes) || local.Compared != remote.Compared || local.OldSet != remote.OldSet || local.NewSet != remote.NewSet {
		t.Errorf("diff of the outputs in S3 = %+v, on disk %+v", remote, local)
	}
	// Stored results alone, as sharded runs leave them: the edited one
	// changed, in S3 as on disk.
	local = diff(filepath.Join(prev, resultsDir), filepath.Join(cur, resultsDir))
	remote = diff(s3test.Key(root, "prev/"+resultsDir+"/"), s3test.Key(root, "results-only/"))
	if len(local.Changes) != 1 || len(remote.Changes) != 1 || !reflect.DeepEqual(local.Changes[0].Fields, remote.Changes[0].Fields) ||
		remote.Changes[0].ArchiveDigest != res.Incident.ArchiveDigest || remote.Compared != local.Compared {
		t.Errorf("diff of stored results in S3 = %+v, on disk %+v", remote, local)
	}
	// Two single result objects.
	single := diff(s3test.Key(root, "prev/"+resultsDir+"/"+name(e.Key, testSet)), s3test.Key(root, "cur/"+e.Result))
	if len(single.Changes) != 1 || len(single.Changes[0].Fields) != 2 {
		t.Errorf("single-object diff = %+v", single)
	}
	if _, err := LoadSide(s3test.Key(root, "nothing/")); err == nil {
		t.Error("an empty prefix loaded as a side")
	}

	// --compare-to between object-store outputs stores diff.json there.
	next := s3test.Key(root, "next/")
	o = testOptions(next, 2)
	o.Index = "-"
	if _, err := Run(ctx, f.good, nil, o); err != nil {
		t.Fatal(err)
	}
	d, err := CompareTo(s3test.Key(root, "prev/"), next)
	if err != nil || d.Compared != len(f.good) || len(d.Changes) != 0 {
		t.Fatalf("CompareTo = %+v, %v", d, err)
	}
	loc, _ := blobstore.Open(ctx, next)
	if ok, err := loc.Exists(ctx, loc.Join(DiffFile)); !ok || err != nil {
		t.Errorf("no %s in the object-store output: %v", DiffFile, err)
	}
}
