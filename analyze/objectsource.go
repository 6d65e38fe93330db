package analyze

import "github.com/coroner/coroner/bundle"

// ObjectSource is a Source whose archive is read where it lies in an
// object store, by ranged requests through its frame table
// (analyze/driver's AnalyzeObject). An analyzer that reads a member where
// it lies (Pass.Archive) reads it so too, and a child process it starts
// opens the object itself by its URL (Pass.ObjectURL), with the
// credentials of the environment it inherits.
type ObjectSource interface {
	Source
	// Archive is the archive opened in place.
	Archive() *bundle.Archive
	// URL is the object's URL as given, secrets included: for a child
	// process to open, never for messages.
	URL() string
	// Damaged records err, met reading the archive other than through
	// Open and Path, when it wraps bundle.ErrCorrupt; it returns err.
	Damaged(err error) error
}

// ObjectURL returns the URL of the object the archive is read from in
// place, for a child process to open it by; false for any other source.
// The URL may carry secrets: it is never for messages.
func (p *Pass) ObjectURL() (string, bool) {
	s, ok := p.src.(ObjectSource)
	if !ok {
		return "", false
	}
	return s.URL(), true
}

// Damaged reports err, met reading the archive other than through Open or
// Path (by a child process the analyzer started), to the source, and
// returns it. An archive read in place is not hashed whole before the
// analysis, so damage met by a read must end the run as an input error,
// as a damaged local archive is refused before it is analysed.
func (p *Pass) Damaged(err error) error {
	if s, ok := p.src.(ObjectSource); ok {
		return s.Damaged(err)
	}
	return err
}
