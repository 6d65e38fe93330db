package serve

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/coroner/coroner/reports"
)

// reportCSP is sent with a stored report: the report carries its own
// strict policy in a meta element (reports/html.go, allowing its inline
// style and script by hash); this header adds what a meta element cannot
// say (no framing) and forbids forms and base changes, without a
// script or style directive that would contradict the report's.
const reportCSP = "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// report answers an incident's stored report: the HTML report rendered
// from the stored result, as coroner analyze writes it, or with .json the
// stored result itself.
func (s *Server) report(w http.ResponseWriter, r *request, digest, set string) error {
	res, err := s.result(r, digest, set)
	if err != nil {
		return err
	}
	if r.json {
		var b bytes.Buffer
		if err := reports.RenderJSON(&b, res, reports.Options{}); err != nil {
			return fmt.Errorf("result %s@%s: %w", digest, set, err)
		}
		w.Header().Set("Content-Type", "application/json")
		_, err := w.Write(b.Bytes())
		return err
	}
	var b bytes.Buffer
	if err := reports.RenderHTML(&b, res, reports.Options{}); err != nil {
		return fmt.Errorf("report %s@%s: %w", digest, set, err)
	}
	w.Header().Set("Content-Security-Policy", reportCSP)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err = w.Write(b.Bytes())
	return err
}
