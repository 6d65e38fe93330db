package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/coroner/coroner/analyze"
)

// TestCompareTo runs the same archives twice into two output directories,
// edits one new result the way a changed analyzer would, and checks the
// diff names exactly that change.
func TestCompareTo(t *testing.T) {
	f := getFixtures(t)
	prev, cur := t.TempDir(), t.TempDir()
	if _, err := Run(context.Background(), f.good, nil, testOptions(prev, 2)); err != nil {
		t.Fatal(err)
	}
	o := testOptions(cur, 2)
	o.AnalyzerSet = testSet + "-next"
	s, err := Run(context.Background(), f.good, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	d, err := CompareTo(prev, cur)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Changes) != 0 || d.Compared != len(f.good) || d.Unchanged != len(f.good) {
		t.Fatalf("identical runs differ: %+v", d)
	}
	// Two fresh runs store byte-identical results.
	for _, x := range s.Entries {
		a, err1 := os.ReadFile(filepath.Join(prev, resultsDir, name(x.Key, testSet)))
		b, err2 := os.ReadFile(filepath.Join(cur, x.Result))
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Errorf("%s: results of two fresh runs differ (%v, %v)", x.Input, err1, err2)
		}
	}
	// A "newer analyzer" blames another culprit with another severity.
	var e Entry
	for _, x := range s.Entries {
		if !isAttachmentKey(x.Key) {
			e = x
			break
		}
	}
	resPath := filepath.Join(cur, e.Result)
	res, err := ReadResult(resPath)
	if err != nil {
		t.Fatal(err)
	}
	res.Verdict.Cause = analyze.CauseLockWait
	res.Verdict.Severity = analyze.Critical
	res.Verdict.Culprit = &analyze.Culprit{Function: "main.(*store).update"}
	if err := writeJSON(resPath, res); err != nil {
		t.Fatal(err)
	}
	// The summary still tells the old outcome; re-running refreshes it from
	// the stored results after the records are dropped.
	os.RemoveAll(filepath.Join(cur, inputsDir))
	if _, err := Run(context.Background(), f.good, nil, o); err != nil {
		t.Fatal(err)
	}
	d, err = CompareTo(prev, cur)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Changes) != 1 || d.Changes[0].Kind != "changed" || d.Changes[0].ArchiveDigest != res.Incident.ArchiveDigest {
		t.Fatalf("changes = %+v", d.Changes)
	}
	got := map[string]FieldChange{}
	for _, fc := range d.Changes[0].Fields {
		got[fc.Field] = fc
	}
	if got["cause"].New != analyze.CauseLockWait || got["severity"].New != "critical" || got["culprit"].New != "main.(*store).update" {
		t.Errorf("fields = %+v", d.Changes[0].Fields)
	}
	var onDisk Diff
	if err := readJSON(filepath.Join(cur, DiffFile), &onDisk); err != nil || len(onDisk.Changes) != 1 {
		t.Errorf("diff.json: %v, %+v", err, onDisk)
	}

	// Two single result files compare directly.
	oldSide, err := LoadSide(filepath.Join(prev, resultsDir, name(e.Key, testSet)))
	if err != nil {
		t.Fatal(err)
	}
	newSide, err := LoadSide(resPath)
	if err != nil {
		t.Fatal(err)
	}
	if d := Compare(oldSide, newSide); len(d.Changes) != 1 || len(d.Changes[0].Fields) < 2 {
		t.Errorf("single-file diff = %+v", d)
	}
	// A removed and an added incident.
	oldSide.Entries["gone"] = Entry{Input: "gone.tar.zst", Status: StatusOK, Outcome: Outcome{Cause: "crash"}}
	newSide.single, oldSide.single = false, false
	d = Compare(oldSide, newSide)
	kinds := map[string]int{}
	for _, c := range d.Changes {
		kinds[c.Kind]++
	}
	if kinds["removed"] != 1 {
		t.Errorf("kinds = %v", kinds)
	}
}

// FuzzLoadSide feeds arbitrary bytes as a result or summary file, and as
// the same object in a store: errors are fine, panics are not.
func FuzzLoadSide(f *testing.F) {
	res := &analyze.Result{SchemaVersion: analyze.SchemaVersion, Incident: analyze.Incident{ArchiveDigest: "ab"},
		Verdict: analyze.Verdict{Cause: "crash", Culprit: &analyze.Culprit{Function: "main.f"}}}
	b, _ := json.Marshal(res)
	f.Add(b)
	sum, _ := json.Marshal(Summary{AnalyzerSet: "x", Entries: []Entry{{Input: "a", Status: StatusOK}}})
	f.Add(sum)
	f.Add([]byte(`{"entries": null}`))
	f.Add([]byte(`{"schema_version": 99}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "r.json")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		side, err := LoadSide(p)
		if err == nil {
			_ = Compare(side, side)
		}
		// The same bytes read from an object store.
		obj, objErr := sideOfJSON(data, "r.json", ".")
		if err == nil && objErr == nil && len(obj.Entries) != len(side.Entries) {
			t.Errorf("read from an object: %d entries; from a file: %d", len(obj.Entries), len(side.Entries))
		}
	})
}
