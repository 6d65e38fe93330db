package index

import "time"

// when is the time a run is filed under: the incident's own time, or when
// it was indexed if the artifacts did not tell (coalesce(incident_time,
// indexed_at) in SQL).
func when(r Run) time.Time {
	if r.IncidentTime.IsZero() {
		return r.IndexedAt
	}
	return r.IncidentTime
}
