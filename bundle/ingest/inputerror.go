package ingest

import (
	"errors"

	"github.com/coroner/coroner/bundle"
)

// InputError reports a problem with an input (unreadable, malformed, over
// a limit) as opposed to a failure of coroner: ingest returns it for its
// inputs, and the analysis driver for an input it cannot open or ingest.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// IsInputError reports whether err is the input's fault rather than
// coroner's: an InputError, or an archive that is not one, is damaged or
// is over a limit. It is the one classification behind every command's
// exit code 3.
func IsInputError(err error) bool {
	return errors.As(err, new(*InputError)) || errors.Is(err, bundle.ErrNotArchive) ||
		errors.Is(err, bundle.ErrCorrupt) || errors.Is(err, bundle.ErrTooLarge)
}
