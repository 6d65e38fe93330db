package bundle

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestTempStage: a new stage sweeps what a killed run left (a stage whose
// lock nobody holds), survives a concurrent sweep while held, and is gone
// once released.
func TestTempStage(t *testing.T) {
	dir := t.TempDir()
	dead := filepath.Join(dir, stagePre+"p999999-1")
	if err := os.MkdirAll(filepath.Join(dead, "incident"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Another program's file in a shared temporary directory, even one
	// shaped like an earlier coroner's unlocked temporary, is not ours.
	mine := filepath.Join(dir, ".x11.tmp-4242")
	if err := os.WriteFile(mine, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(mine, old, old); err != nil {
		t.Fatal(err)
	}
	p, release, err := TempStage(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("a killed run's stage survived: %v", err)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("a file that is not coroner's was touched: %v", err)
	}
	sweepStages(dir)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("stage: %v", err)
	}
	release()
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("released stage still there: %v", err)
	}
}
