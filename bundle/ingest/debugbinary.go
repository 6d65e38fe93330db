package ingest

import (
	"fmt"

	"github.com/coroner/coroner/bundle"
)

// addDebugBinary archives p, an unstripped build of a stripped Go
// executable among the inputs, as a go-debug-binary member: the census
// reads the stripped executable's cores with its DWARF and symbols once
// their code is shown to match (gocore.MatchTwin).
func (c *gatherer) addDebugBinary(p string) error {
	f, st, err := openRegular(p)
	if err != nil {
		return &openError{name: p, err: err}
	}
	defer f.Close()
	if st.Size() > c.lim.MaxMemberBytes {
		return fmt.Errorf("%s: %d bytes: single member size limit of %d bytes: %w", bundle.QuoteName(p), st.Size(), c.lim.MaxMemberBytes, bundle.ErrTooLarge)
	}
	kind, attrs, _ := Sniff(f, st.Size())
	if kind != bundle.KindGoBinary || attrs["dwarf"] != "true" {
		return fmt.Errorf("debug binary %s is not a Go executable with DWARF (found %s, dwarf=%q)", bundle.QuoteName(p), kind, attrs["dwarf"])
	}
	return c.addCandidate(f, st, p, bundle.KindGoDebugBinary, attrs, "")
}
