package batch

import "github.com/coroner/coroner/analyze"

// Outcome is the part of a result that diffs and summaries compare.
type Outcome struct {
	ArchiveDigest string `json:"archive_digest,omitempty"`
	IncidentID    string `json:"incident_id,omitempty"`
	Cause         string `json:"cause,omitempty"`
	Severity      string `json:"severity,omitempty"`
	Culprit       string `json:"culprit,omitempty"`
	Signature     string `json:"signature,omitempty"`
}

// outcomeOf extracts a result's outcome. The culprit is the function only:
// a rebuilt binary moves lines without changing the diagnosis.
func outcomeOf(r *analyze.Result) Outcome {
	o := Outcome{
		ArchiveDigest: r.Incident.ArchiveDigest,
		IncidentID:    r.Incident.ID,
		Cause:         r.Verdict.Cause,
		Severity:      r.Verdict.Severity.String(),
		Signature:     r.Verdict.Signature,
	}
	if r.Verdict.Culprit != nil {
		o.Culprit = r.Verdict.Culprit.Function
	}
	return o
}
