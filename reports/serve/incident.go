package serve

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"sort"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/internal/index"
	"github.com/coroner/coroner/reports"
)

// sameSignatureRows is how many other incidents with the same signature
// the incident page lists: the newest, a long screenful; the signatures
// page counts them all.
const sameSignatureRows = 100

// IncidentData is the incident page: the indexed run, its inventory from
// the stored result, and the other incidents with its signature.
type IncidentData struct {
	Run index.Run `json:"run"`
	// Inventory is the archive's artifacts, from the stored result.
	Inventory []analyze.Item `json:"inventory"`
	// ResultError says why the stored result could not be read.
	ResultError string `json:"result_error,omitempty"`
	// Same lists the newest incidents with the same signature and cause,
	// each archive's latest run (this one's included when it is its
	// archive's latest), SameTotal counts them all.
	Same      []index.Run `json:"same_signature"`
	SameTotal int         `json:"same_signature_total"`
}

type sameRow struct {
	index.Run
	Link    string
	Current bool
}

type attr struct{ Key, Value string }

type itemRow struct {
	analyze.Item
	Attrs []attr
}

type incidentView struct {
	Page
	IncidentData
	Report, Others string
	Items          []itemRow
	SameRows       []sameRow
}

// incident answers an incident page.
func (s *Server) incident(w http.ResponseWriter, r *request, digest, set string) error {
	run, ok, err := s.o.Index.RunOf(r.Context(), digest, set)
	if err != nil {
		return err
	}
	if !ok {
		return notFound(fmt.Errorf("the index holds no run of archive %s under analyzer set %s", digest, set))
	}
	data := IncidentData{Run: run, Inventory: []analyze.Item{}}
	if res, err := s.result(r, digest, set); err != nil {
		data.ResultError = err.Error()
	} else if res.Inventory != nil {
		data.Inventory = res.Inventory
	}
	data.Same, data.SameTotal, err = s.o.Index.RunsMatching(r.Context(),
		index.SignatureFilter{Signatures: []string{run.Signature}, Cause: run.Cause, Latest: true}, sameSignatureRows)
	if err != nil {
		return err
	}
	if r.json {
		return writeJSON(w, data)
	}
	title := run.IncidentID
	if title == "" {
		title = "archive " + short(run.ArchiveDigest)
	}
	v := incidentView{Page: s.page(r, "Incident "+title), IncidentData: data,
		Report: s.incidentLink(digest, set) + "/report", Others: s.link("/signatures", values("signature", run.Signature, "cause", run.Cause))}
	for _, it := range data.Inventory {
		row := itemRow{Item: it}
		for k, val := range it.Attrs {
			row.Attrs = append(row.Attrs, attr{k, val})
		}
		sort.Slice(row.Attrs, func(i, j int) bool { return row.Attrs[i].Key < row.Attrs[j].Key })
		v.Items = append(v.Items, row)
	}
	for _, o := range data.Same {
		v.SameRows = append(v.SameRows, sameRow{Run: o, Link: s.incidentLink(o.ArchiveDigest, o.AnalyzerSet),
			Current: o.ArchiveDigest == digest && o.AnalyzerSet == set})
	}
	return s.render(w, http.StatusOK, incidentTemplate, v)
}

// result reads the stored result of digest@set.
func (s *Server) result(r *request, digest, set string) (*analyze.Result, error) {
	rc, err := s.o.Results.Open(r.Context(), digest, set)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, notFound(fmt.Errorf("%s holds no result for archive %s under analyzer set %s", s.o.Results, digest, set))
		}
		return nil, fmt.Errorf("result %s@%s in %s: %w", digest, set, s.o.Results, err)
	}
	defer rc.Close()
	res, err := reports.ReadResult(rc)
	if err != nil {
		return nil, fmt.Errorf("result %s@%s in %s: %w", digest, set, s.o.Results, err)
	}
	return res, nil
}

// short is a digest's first 12 characters, as the terminal tables show it.
func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

var incidentTemplate = pageTemplate(`{{template "top" .}}<h1>{{.Title}}</h1>
{{with .Run}}<dl class="facts">
<dt>Verdict</dt><dd><strong>{{.Cause}}</strong> <span class="sev-{{.Severity}}">{{.Severity}}</span> · confidence {{printf "%.0f" (mul100 .Confidence)}} %</dd>
{{if .Headline}}<dt>Headline</dt><dd>{{.Headline}}</dd>{{end}}
<dt>Signature</dt><dd><code>{{.Signature}}</code></dd>
{{if .CulpritSite}}<dt>Culprit</dt><dd><code>{{.CulpritSite}}</code></dd>{{end}}
{{if .Title}}<dt>Title</dt><dd>{{.Title}}</dd>{{end}}
<dt>Time</dt><dd>{{if .IncidentTime.IsZero}}not recorded{{else}}{{when .IncidentTime}}{{end}} <span class="muted">(indexed {{when .IndexedAt}})</span></dd>
{{if .GoVersion}}<dt>Go</dt><dd>{{.GoVersion}}</dd>{{end}}
{{if .Module}}<dt>Module</dt><dd><code>{{.Module}}</code>{{if .VCSRevision}} at <code>{{.VCSRevision}}</code>{{end}}</dd>{{end}}
{{if .Host}}<dt>Host</dt><dd>{{.Host}}</dd>{{end}}
<dt>Archive</dt><dd><code>{{.ArchiveDigest}}</code></dd>
<dt>Analyzer set</dt><dd><code>{{.AnalyzerSet}}</code></dd>
</dl>{{end}}
<p><a id="report" href="{{.Report}}">Open the report</a> · <a href="{{.Report}}.json">result JSON</a></p>
<h2>Inventory</h2>
{{if .ResultError}}<p class="error">{{.ResultError}}</p>{{end}}
<table id="inventory"><thead><tr><th>Artifact</th><th>Kind</th><th>Size</th><th>Attributes</th></tr></thead><tbody>
{{range .Items}}<tr><td class="mono">{{.Path}}</td><td>{{.Kind}}</td><td class="n">{{.Size}}</td><td>{{range .Attrs}}<div><span class="muted">{{.Key}}</span> {{.Value}}</div>{{end}}</td></tr>
{{else}}<tr><td colspan="4">No inventory.</td></tr>{{end}}
</tbody></table>
<h2>Incidents with this signature ({{.SameTotal}})</h2>
<p><a href="{{.Others}}">This signature on the signatures page</a></p>
<table id="same"><thead><tr><th>Time</th><th>Incident</th><th>Severity</th><th>Go</th><th>Revision</th><th>Host</th><th>Archive</th><th>Analyzer set</th></tr></thead><tbody>
{{range .SameRows}}<tr><td>{{when (filed .Run)}}</td><td>{{if .Current}}<strong>{{or .IncidentID "this incident"}}</strong>{{else}}<a href="{{.Link}}">{{or .IncidentID (short .ArchiveDigest)}}</a>{{end}}</td>
<td class="sev-{{.Severity}}">{{.Severity}}</td><td>{{.GoVersion}}</td><td class="mono">{{short .VCSRevision}}</td><td>{{.Host}}</td><td class="mono">{{short .ArchiveDigest}}</td><td class="mono">{{.AnalyzerSet}}</td></tr>
{{end}}</tbody></table>
{{template "bottom" .}}`)
