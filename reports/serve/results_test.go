package serve

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestDirResults(t *testing.T) {
	root := t.TempDir()
	results := filepath.Join(root, "results")
	if err := os.Mkdir(results, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"aa11@set1.json":      `{"incident":{"archive_digest":"aa11"}}`,
		"file-0f0f@set1.json": `{"incident":{"archive_digest":"bb22"}}`,
		"file-1e1e@set2.json": `{"incident":{"archive_digest":"bb22"}}`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(results, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d, err := NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct{ digest, set, want string }{
		{"aa11", "set1", files["aa11@set1.json"]},
		// An attachment's result is named by its file's hash, found by the digest inside.
		{"bb22", "set1", files["file-0f0f@set1.json"]},
		{"bb22", "set2", files["file-1e1e@set2.json"]},
	} {
		rc, err := d.Open(ctx, c.digest, c.set)
		if err != nil {
			t.Errorf("%s@%s: %v", c.digest, c.set, err)
			continue
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if string(b) != c.want {
			t.Errorf("%s@%s gave %s, want %s", c.digest, c.set, b, c.want)
		}
	}
	for _, c := range [][2]string{{"aa11", "set2"}, {"../results/aa11", "set1"}, {"aa11", "../../etc"}, {"", "set1"}} {
		if _, err := d.Open(ctx, c[0], c[1]); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%q@%q: %v, want not found", c[0], c[1], err)
		}
	}
	if _, err := NewDir(t.TempDir()); err == nil {
		t.Error("a directory without results/ was accepted")
	}
}
