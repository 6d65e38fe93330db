package index

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func TestSignatureGroups(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	day := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	idx := day.Add(240 * time.Hour)
	runs := []Run{
		{ArchiveDigest: "c1", AnalyzerSet: "s1", Cause: "crash", Severity: "critical", Signature: "crash:v1:aa", Culprit: "main.f", GoVersion: "go1.26.0", Module: "example.com/a", VCSRevision: "r1", IncidentTime: day, IndexedAt: idx},
		{ArchiveDigest: "c2", AnalyzerSet: "s1", Cause: "crash", Severity: "critical", Signature: "crash:v1:aa", Culprit: "main.f", GoVersion: "go1.25.3", Module: "example.com/a", VCSRevision: "r2", IncidentTime: day.Add(48 * time.Hour), IndexedAt: idx},
		{ArchiveDigest: "c3", AnalyzerSet: "s1", Cause: "crash", Severity: "critical", Signature: "crash:v1:aa", Culprit: "main.f", GoVersion: "go1.26.0", Module: "example.com/a", VCSRevision: "r1", IncidentTime: day.Add(48 * time.Hour), IndexedAt: idx},
		{ArchiveDigest: "l1", AnalyzerSet: "s1", Cause: "lock_wait", Severity: "warning", Signature: "lock_wait:main.g#01020304", Culprit: "main.g", Module: "example.com/b", IncidentTime: day.Add(24 * time.Hour), IndexedAt: idx},
		// c1 re-analysed by a later set: only its latest run counts by default.
		{ArchiveDigest: "c1", AnalyzerSet: "s0", Cause: "lock_wait", Severity: "info", Signature: "lock_wait:main.h#0a0b0c0d", IncidentTime: day, IndexedAt: idx.Add(-time.Hour)},
	}
	if err := db.Add(ctx, runs...); err != nil {
		t.Fatal(err)
	}
	groups, total, err := db.SignatureGroups(ctx, SignatureFilter{Latest: true}, GroupPage{ChartDays: 4})
	if err != nil {
		t.Fatal(err)
	}
	if total != 2 || len(groups) != 2 {
		t.Fatalf("%d groups (total %d), want 2: %+v", len(groups), total, groups)
	}
	g := groups[0]
	if g.Signature != "crash:v1:aa" || g.Count != 3 || g.Severity != "critical" || !g.FirstSeen.Equal(day) || !g.LastSeen.Equal(day.Add(48*time.Hour)) {
		t.Errorf("crash group %+v", g)
	}
	if g.NewestDigest != "c2" || g.NewestSet != "s1" {
		t.Errorf("newest run %s@%s, want c2@s1", g.NewestDigest, g.NewestSet)
	}
	if len(g.GoVersions) != 2 || g.GoVersions[0] != (ValueCount{"go1.26.0", 2}) || len(g.VCSRevisions) != 2 || len(g.Modules) != 1 {
		t.Errorf("values: go %v, modules %v, revisions %v", g.GoVersions, g.Modules, g.VCSRevisions)
	}
	var counts []int
	for _, d := range g.Days {
		counts = append(counts, d.Count)
	}
	if len(counts) != 4 || counts[0] != 0 || counts[1] != 1 || counts[2] != 0 || counts[3] != 2 || !g.Days[3].Day.Equal(time.Date(2026, 5, 3, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("days %v (last %v)", counts, g.Days[len(g.Days)-1].Day)
	}
	if groups, total, err = db.SignatureGroups(ctx, SignatureFilter{Cause: "lock_wait", AnalyzerSet: "s1"}, GroupPage{}); err != nil || total != 1 || groups[0].Signature != "lock_wait:main.g#01020304" {
		t.Errorf("cause filter: %v %d %+v", err, total, groups)
	}
	if groups, total, err = db.SignatureGroups(ctx, SignatureFilter{AnalyzerSet: "s0"}, GroupPage{}); err != nil || total != 1 || groups[0].Count != 1 || groups[0].Severity != "info" {
		t.Errorf("analyzer set filter: %v %d %+v", err, total, groups)
	}
	if groups, _, err = db.SignatureGroups(ctx, SignatureFilter{Since: day.Add(36 * time.Hour), Latest: true}, GroupPage{Sort: SortSignature}); err != nil || len(groups) != 1 || groups[0].Count != 2 {
		t.Errorf("since filter: %v %+v", err, groups)
	}
	if groups, total, err = db.SignatureGroups(ctx, SignatureFilter{Module: "example.com/*", Latest: true}, GroupPage{Limit: 1, Offset: 1}); err != nil || total != 2 || len(groups) != 1 || groups[0].Cause != "lock_wait" {
		t.Errorf("second page: %v %d %+v", err, total, groups)
	}
	same, n, err := db.RunsMatching(ctx, SignatureFilter{Signatures: []string{"crash:v1:aa"}, Cause: "crash", Latest: true}, 2)
	if err != nil || n != 3 || len(same) != 2 || same[0].ArchiveDigest != "c2" || same[1].ArchiveDigest != "c3" {
		t.Errorf("runs with signature: %v %d %+v", err, n, same)
	}
	if r, ok, err := db.RunOf(ctx, "c1", "s0"); err != nil || !ok || r.Signature != "lock_wait:main.h#0a0b0c0d" {
		t.Errorf("run of c1@s0: %v %v %+v", err, ok, r)
	}
	if _, ok, err := db.RunOf(ctx, "c1", "nope"); err != nil || ok {
		t.Errorf("run of c1@nope: %v %v", err, ok)
	}
	if _, total, err = db.SignatureGroups(ctx, SignatureFilter{}, GroupPage{}); err != nil || total != 3 {
		t.Errorf("every run: %v %d groups, want 3", err, total)
	}
	if sets, err := db.AnalyzerSets(ctx); err != nil || len(sets) != 2 || sets[0].AnalyzerSet != "s1" {
		t.Errorf("analyzer sets: %v %+v", err, sets)
	}
}

func TestSignatureFilterPrefix(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Add(ctx,
		Run{ArchiveDigest: "a", AnalyzerSet: "s", Cause: "crash", Signature: "crash:v1:ab12"},
		Run{ArchiveDigest: "b", AnalyzerSet: "s", Cause: "crash", Signature: "crash:v1:ab*"},
		Run{ArchiveDigest: "c", AnalyzerSet: "s", Cause: "crash", Signature: "crash:v1:cd"},
	); err != nil {
		t.Fatal(err)
	}
	// An exact signature that ends in '*' is no prefix.
	if runs, n, err := db.RunsMatching(ctx, SignatureFilter{Signatures: []string{"crash:v1:ab*"}}, 10); err != nil || n != 1 || runs[0].ArchiveDigest != "b" {
		t.Errorf("exact: %v %d %+v", err, n, runs)
	}
	if _, n, err := db.SignatureGroups(ctx, SignatureFilter{SignaturePrefix: "crash:v1:ab"}, GroupPage{}); err != nil || n != 2 {
		t.Errorf("prefix: %v %d groups, want 2", err, n)
	}
}
