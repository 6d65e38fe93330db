package layers

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/coroner/coroner/"

// layer ranks a package: a package may import only packages of a lower
// rank, or of its own rank within its own family. Shared utilities rank
// lowest, the CLI highest.
func layer(pkg string) int {
	switch {
	case pkg == "internal/units", pkg == "internal/version", pkg == "internal/worker", pkg == "internal/testcore",
		pkg == "internal/pgtest", pkg == "internal/s3test", pkg == "internal/browsertest", pkg == "internal/benchcpu",
		pkg == "internal/hostile", pkg == "internal/hugepages":
		return 0 // utilities anyone may use
	case pkg == "internal/blobstore":
		return 2 // object stores, read and written as archives are (beside the readers)
	case pkg == "bundle":
		return 1 // the archive format
	case pkg == "bundle/ingest":
		return 3
	case pkg == "bundle/capture":
		return 4
	case strings.HasPrefix(pkg, "bundle/"):
		return 2 // a per-kind reader
	case pkg == "analyze":
		return 5
	case pkg == "analyze/all", pkg == "analyze/driver", pkg == "analyze/analyzetest":
		return 7
	case strings.HasPrefix(pkg, "analyze/"):
		return 6 // an analyzer and its helpers
	case pkg == "internal/index":
		return 8
	case pkg == "reports/serve":
		return 9 // the incident browser: the index's listings, a batch's results and diffs, the reports
	case strings.HasPrefix(pkg, "reports"):
		return 8
	case pkg == "internal/batch":
		return 9
	case strings.HasPrefix(pkg, "cmd/"):
		return 10
	}
	return -1
}

// TestImportsFollowTheLayers: no package imports one above it, readers do
// not import each other's ingest, and nothing outside the corpus imports
// the corpus.
func TestImportsFollowTheLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(f[0], module)
		for _, imp := range f[1:] {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			imp = strings.TrimPrefix(imp, module)
			inCorpus := strings.HasPrefix(pkg, "corpus")
			switch {
			case strings.HasPrefix(imp, "corpus") && !inCorpus:
				t.Errorf("%s imports %s: only the corpus uses the corpus", pkg, imp)
			case inCorpus || pkg == "internal/layers":
				// The corpus and this check may use every layer.
			case layer(pkg) < 0 || layer(imp) < 0:
				t.Errorf("%s imports %s: a package outside the layout table", pkg, imp)
			case layer(imp) > layer(pkg):
				t.Errorf("%s (layer %d) imports %s (layer %d): an upward arrow", pkg, layer(pkg), imp, layer(imp))
			}
		}
	}
}
