package census

import (
	"context"
	"os"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/gocore"
	"github.com/coroner/coroner/internal/blobstore"
	"github.com/coroner/coroner/internal/worker"
)

// objectCensusWorker is the census child for a core in an archive read in
// place from an object store: it opens the object by its URL, with the
// credentials its environment (the parent's) gives gocloud.dev's openers,
// and reads the core's frames through ranged requests, each frame checked
// against the frame table as it is decoded.
const objectCensusWorker = "core-census-object"

// init registers the worker and, when this process was started as it,
// runs it at once, as bundle/gocore does for its own child: every binary
// linking the census analyzer, test binaries included, then serves it.
func init() {
	worker.Register(objectCensusWorker, func(args []string) int {
		return gocore.ServeArchiveCensus(args, func(url string) (*bundle.Archive, error) {
			return blobstore.OpenArchive(context.Background(), url)
		})
	})
	if len(os.Args) > 2 && os.Args[1] == "__worker" && os.Args[2] == objectCensusWorker {
		worker.Main()
	}
}
