package ingest

import (
	"io"

	"github.com/coroner/coroner/bundle"
)

// Options says what to ingest and where to write the archive.
type Options struct {
	// Inputs are directories (walked recursively), files, .tar, .tar.gz,
	// .tgz, .tar.zst or .zip attachments, or "-" for a tar on Stdin.
	Inputs []string
	// DebugBinaries are unstripped builds of the inputs' stripped Go
	// executables, archived as go-debug-binary members (debugbinary.go).
	DebugBinaries []string
	Stdin         io.Reader
	// Output is the archive's path, written via a temporary name, fsync and
	// rename.
	Output string
	ID     string
	Title  string
	Labels map[string]string
	// Capture is recorded in the manifest when coroner collect produced the
	// inputs.
	Capture *bundle.Capture
	Limits  Limits
	// Log receives progress lines; nil discards them.
	Log func(format string, args ...any)
}
