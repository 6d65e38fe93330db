package serve

import (
	"fmt"
	"net/http"

	"github.com/coroner/coroner/internal/batch"
	"github.com/coroner/coroner/internal/index"
)

// maxChangeRuns bounds the runs read per analyzer set for the changes
// page: a year of incidents for a large fleet (the index benchmarks'
// size) ten times over; past it the page says the comparison is partial.
const maxChangeRuns = 100000

// ChangesData is the changes page: what re-analysing the archives with
// the New analyzer set changed against the Old one, as coroner diff
// reports it.
type ChangesData struct {
	Old          string             `json:"old_analyzer_set"`
	New          string             `json:"new_analyzer_set"`
	Partial      bool               `json:"partial,omitempty"`
	Diff         *batch.Diff        `json:"diff,omitempty"`
	AnalyzerSets []index.SetSummary `json:"analyzer_sets"`
}

type changeRow struct {
	batch.Change
	Link string
}

type changesView struct {
	Page
	ChangesData
	Rows []changeRow
}

// changes answers the changes page; without old and new it compares the
// two most recently indexed analyzer sets.
func (s *Server) changes(w http.ResponseWriter, r *request) error {
	sets, err := s.o.Index.AnalyzerSets(r.Context())
	if err != nil {
		return err
	}
	data := ChangesData{Old: r.query.Get("old"), New: r.query.Get("new"), AnalyzerSets: sets}
	if data.Old == "" && data.New == "" && len(sets) >= 2 {
		data.New, data.Old = sets[0].AnalyzerSet, sets[1].AnalyzerSet
	}
	if (data.Old == "") != (data.New == "") {
		return badRequest(fmt.Errorf("name both analyzer sets, old and new"))
	}
	if data.Old != "" {
		sides := make([]*batch.Side, 2)
		for i, set := range []string{data.Old, data.New} {
			runs, err := s.o.Index.RunsOfSet(r.Context(), set, maxChangeRuns+1)
			if err != nil {
				return err
			}
			if len(runs) > maxChangeRuns {
				runs, data.Partial = runs[:maxChangeRuns], true
			}
			sides[i] = sideOf(set, runs)
		}
		data.Diff = batch.Compare(sides[0], sides[1])
	}
	if r.json {
		return writeJSON(w, data)
	}
	v := changesView{Page: s.page(r, "Changes"), ChangesData: data}
	if data.Diff != nil {
		for _, c := range data.Diff.Changes {
			set := data.New
			if c.Kind == "removed" {
				set = data.Old
			}
			v.Rows = append(v.Rows, changeRow{Change: c, Link: s.incidentLink(c.ArchiveDigest, set)})
		}
	}
	return s.render(w, http.StatusOK, changesTemplate, v)
}

// sideOf makes a diff side of one analyzer set's indexed runs, as coroner
// diff reads it from a batch directory.
func sideOf(set string, runs []index.Run) *batch.Side {
	side := &batch.Side{Label: "analyzer set " + set, AnalyzerSet: set, Entries: make(map[string]batch.Entry, len(runs))}
	for _, r := range runs {
		side.Entries[r.ArchiveDigest] = batch.Entry{Input: r.Source, Key: r.ArchiveDigest, Status: batch.StatusOK,
			Outcome: batch.Outcome{ArchiveDigest: r.ArchiveDigest, IncidentID: r.IncidentID, Cause: r.Cause,
				Severity: r.Severity, Culprit: r.Culprit, Signature: r.Signature}}
	}
	return side
}

var changesTemplate = pageTemplate(`{{template "top" .}}<h1>Changes</h1>
<form class="filter" method="get" action="{{.Changes}}">
{{$o := .Old}}{{$n := .New}}
<label>Old analyzer set <select name="old">{{range .AnalyzerSets}}<option value="{{.AnalyzerSet}}"{{if eq .AnalyzerSet $o}} selected{{end}}>{{.AnalyzerSet}} (indexed {{when .LastIndexed}})</option>{{end}}</select></label>
<label>New analyzer set <select name="new">{{range .AnalyzerSets}}<option value="{{.AnalyzerSet}}"{{if eq .AnalyzerSet $n}} selected{{end}}>{{.AnalyzerSet}} (indexed {{when .LastIndexed}})</option>{{end}}</select></label>
<button type="submit">Compare</button>
</form>
{{if .Partial}}<p class="error">Each analyzer set has more runs than one page compares; this comparison covers the first of them by archive digest.</p>{{end}}
{{with .Diff}}<p id="summary">{{.Compared}} incidents analysed by both, {{.Unchanged}} unchanged, {{len .Changes}} changes.</p>
{{else}}<p>The index holds a single analyzer set: nothing to compare.</p>{{end}}
{{if .Rows}}<table id="changes"><thead><tr><th>Archive</th><th>Incident</th><th>Change</th><th>Field</th><th>Old</th><th>New</th></tr></thead><tbody>
{{range .Rows}}{{$r := .}}{{range $i, $f := .Fields}}<tr>{{if eq $i 0}}<td class="mono"><a href="{{$r.Link}}">{{short $r.ArchiveDigest}}</a></td><td>{{$r.IncidentID}}</td><td>{{$r.Kind}}</td>{{else}}<td></td><td></td><td></td>{{end}}<td>{{$f.Field}}</td><td class="mono">{{$f.Old}}</td><td class="mono">{{$f.New}}</td></tr>
{{end}}{{end}}</tbody></table>{{end}}
{{template "bottom" .}}`)
