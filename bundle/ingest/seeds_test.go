package ingest

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var updateSeeds = flag.Bool("update-seeds", false, "regenerate testdata/seed from a real incident")

// seedHead is how much of each real artifact is kept as a fuzz seed: enough
// for every sniffer's header, small enough to check in.
const seedHead = 16 << 10

// TestUpdateSeeds regenerates the checked-in fuzz seeds (go test
// -run TestUpdateSeeds -update-seeds): the first seedHead bytes of every
// artifact the real incident produced.
func TestUpdateSeeds(t *testing.T) {
	if !*updateSeeds {
		t.Skip("pass -update-seeds to regenerate testdata/seed")
	}
	inc := realIncident(t)
	dir := filepath.Join("testdata", "seed")
	os.MkdirAll(dir, 0o755)
	for name := range inc.files {
		b, err := os.ReadFile(filepath.Join(inc.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > seedHead {
			b = b[:seedHead]
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// seedFiles returns the checked-in seeds, by name, in sorted order.
func seedFiles(t testing.TB) (names []string, data [][]byte) {
	ents, err := os.ReadDir(filepath.Join("testdata", "seed"))
	if err != nil {
		t.Fatalf("fuzz seeds: %v (regenerate with -update-seeds)", err)
	}
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("testdata", "seed", n))
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, b)
	}
	return names, data
}
