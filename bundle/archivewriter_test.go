package bundle

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeMembers writes an archive of the given members (name, data) to
// out, dropping each member named in drop right after writing it, and
// returns the manifest of those kept.
func writeMembers(t *testing.T, out string, members [][2]string, drop map[string]bool) *Manifest {
	t.Helper()
	m := &Manifest{FormatVersion: FormatVersion, ID: "inc-writer", Tool: "test"}
	for _, mb := range members {
		if !drop[mb[0]] {
			m.Artifacts = append(m.Artifacts, Artifact{Path: ArtifactDir + "other/" + mb[0], Kind: KindOther,
				Size: int64(len(mb[1])), SHA256: strings.Repeat("0", 64), Original: mb[0]})
		}
	}
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := NewArchiveWriter(f, m)
	if err != nil {
		t.Fatal(err)
	}
	kept := 0
	for _, mb := range members {
		sum, err := w.WriteMember(ArtifactDir+"other/"+mb[0], int64(len(mb[1])), strings.NewReader(mb[1]))
		if err != nil {
			t.Fatal(err)
		}
		if drop[mb[0]] {
			if err := w.DropLastMember(); err != nil {
				t.Fatal(err)
			}
			continue
		}
		m.Artifacts[kept].SHA256 = sum
		kept++
	}
	if err := w.Finish(m); err != nil {
		t.Fatal(err)
	}
	return m
}

// A member dropped after it was written leaves no trace: the archive is
// byte for byte the one written without it, and verifies.
func TestArchiveWriterDropLastMember(t *testing.T) {
	dir := t.TempDir()
	big := string(wordData(3, frameBlock+1000)) // spans two frames
	members := [][2]string{{"a.txt", gotrace}, {"dup.bin", big}, {"c.bin", big + "x"}}
	with := filepath.Join(dir, "with.tar.zst")
	writeMembers(t, with, members, map[string]bool{"dup.bin": true})
	without := filepath.Join(dir, "without.tar.zst")
	writeMembers(t, without, [][2]string{members[0], members[2]}, nil)
	a, _ := os.ReadFile(with)
	b, _ := os.ReadFile(without)
	if !bytes.Equal(a, b) {
		t.Errorf("dropping a member left %d bytes against %d written without it", len(a), len(b))
	}
	if err := Verify(with); err != nil {
		t.Error(err)
	}
}

// WriteMember refuses data shorter than the size given, and Finish a
// manifest larger than the provisional one space was reserved for.
func TestArchiveWriterRefuses(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "a.tar.zst"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := NewArchiveWriter(f, &Manifest{ID: "x"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.WriteMember(ArtifactDir+"other/short", 10, strings.NewReader("12345"))
	wantErr(t, err, "short", "5 bytes of 10")
	big := &Manifest{ID: "x", Title: string(wordData(4, 100_000))}
	wantErr(t, w.Finish(big), "exceeds", "reserved")
}
