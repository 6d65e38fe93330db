package bundle

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// gotrace is a real goroutine dump line set; text sniffing recognizes it.
const gotrace = "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:5 +0x1d\n"

// wantErr fails unless err is non-nil and mentions every part.
func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one mentioning %q", parts)
	}
	t.Logf("error (as expected): %v", err)
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

// archiveDir writes the regular files directly in dir into a fresh
// archive at out through ArchiveWriter, laid out as ingest lays them out:
// each stored as artifacts/other/<name>, smallest first, identical
// contents stored once (the others listed in Also). It returns the
// manifest.
func archiveDir(tb testing.TB, dir, out, title string) *Manifest {
	tb.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	type file struct {
		name string
		size int64
	}
	var files []file
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		st, err := e.Info()
		if err != nil {
			tb.Fatal(err)
		}
		files = append(files, file{e.Name(), st.Size()})
	}
	sort.Slice(files, func(i, j int) bool {
		if files[i].size != files[j].size {
			return files[i].size < files[j].size
		}
		return files[i].name < files[j].name
	})
	m := &Manifest{FormatVersion: FormatVersion, ID: "inc-test", Title: title, Tool: "test"}
	for _, f := range files {
		m.Artifacts = append(m.Artifacts, Artifact{Path: ArtifactDir + string(KindOther) + "/" + f.name, Kind: KindOther,
			Size: f.size, SHA256: strings.Repeat("0", 64), Original: f.name})
	}
	af, err := CreateAtomic(out)
	if err != nil {
		tb.Fatal(err)
	}
	defer af.Abort()
	w, err := NewArchiveWriter(af.File, m)
	if err != nil {
		tb.Fatal(err)
	}
	defer w.Abort()
	bySHA := map[string]int{}
	var stored []Artifact
	for _, art := range m.Artifacts {
		f, err := os.Open(filepath.Join(dir, art.Original))
		if err != nil {
			tb.Fatal(err)
		}
		sum, err := w.WriteMember(art.Path, art.Size, f)
		f.Close()
		if err != nil {
			tb.Fatal(err)
		}
		if i, ok := bySHA[sum]; ok {
			if err := w.DropLastMember(); err != nil {
				tb.Fatal(err)
			}
			stored[i].Also = append(stored[i].Also, art.Original)
			continue
		}
		art.SHA256 = sum
		bySHA[sum] = len(stored)
		stored = append(stored, art)
	}
	m.Artifacts = stored
	if err := w.Finish(m); err != nil {
		tb.Fatal(err)
	}
	if err := af.Commit(); err != nil {
		tb.Fatal(err)
	}
	return m
}

// archiveFiles writes files (by name) into a fresh directory and archives
// them with archiveDir; the archive must verify. It returns the archive's
// path and manifest.
func archiveFiles(t *testing.T, files map[string][]byte) (string, *Manifest) {
	t.Helper()
	in := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(in, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "out.tar.zst")
	m := archiveDir(t, in, out, "")
	if err := Verify(out); err != nil {
		t.Errorf("verify of a fresh archive: %v", err)
	}
	return out, m
}
