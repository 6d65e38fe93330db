package analyze

import "github.com/coroner/coroner/bundle"

// ObjectSource is a Source whose archive is read where it lies in an
// object store, by ranged requests through its frame table
// (analyze/driver's AnalyzeObject). Its Open and Path note the damage
// their reads meet; an analyzer that reads the archive otherwise, in a
// child process that opens the object itself by its URL with the
// credentials of the environment it inherits (Pass.ObjectArchive),
// reports the damage it meets through Pass.Damaged.
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

// ObjectArchive returns the archive read in place from an object store
// and the object's URL, for an analyzer that has a child process open the
// object by that URL and read a member where it lies; false for any other
// source. Its reads are not watched for damage as Open's and Path's are:
// the analyzer reports what it meets through Damaged. The URL may carry
// secrets: it is never for messages.
func (p *Pass) ObjectArchive() (a *bundle.Archive, url string, ok bool) {
	s, ok := p.src.(ObjectSource)
	if !ok {
		return nil, "", false
	}
	return s.Archive(), s.URL(), true
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
