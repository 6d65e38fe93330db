package bundle

import (
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// TempStage creates a working directory for a run in dir (the system's
// temporary directory when dir is ""), owned like an ingest's stage
// directory, after sweeping dir of the stage directories killed runs
// left. Only owned stage directories whose lock nobody holds are removed:
// a shared temporary directory holds other programs' files, so none of
// the age-based rules for an earlier coroner's unlocked temporaries
// apply. release removes it; until then a concurrent run's sweep leaves
// it alone.
func TempStage(dir string) (path string, release func(), err error) {
	if dir == "" {
		dir = os.TempDir()
	}
	sweepStages(dir)
	p, lock, err := mkdirOwned(dir, stagePre)
	if err != nil {
		return "", nil, fmt.Errorf("working directory in %s: %w", dir, err)
	}
	return p, func() {
		os.RemoveAll(p)
		lock.Close()
	}, nil
}

// sweepStages removes from dir the owned stage directories whose owner is
// gone, and nothing else.
func sweepStages(dir string) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return
	}
	defer root.Close()
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.Type() != fs.ModeDir || !strings.HasPrefix(e.Name(), stagePre) || classifyLeftover(e.Name()) != ownedLeftover {
			continue
		}
		removeIfUnowned(root, e.Name())
	}
}
