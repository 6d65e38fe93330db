package serve

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/internal/index"
)

// pageSize is how many signatures one page lists: a long screenful, and
// a quarter of index.MaxGroupPage.
const pageSize = 50

// SignatureFilters are the signatures page's query parameters, as given.
type SignatureFilters struct {
	Signature string `json:"signature,omitempty"`
	Cause     string `json:"cause,omitempty"`
	Module    string `json:"module,omitempty"`
	Since     string `json:"since,omitempty"`
	Until     string `json:"until,omitempty"`
	// AnalyzerSet is a set's name, "latest" (each archive's latest run)
	// or "all" (every run); the page's default is the newest set.
	AnalyzerSet string `json:"analyzer_set,omitempty"`
	Sort        string `json:"sort"`
	Page        int    `json:"page"`
}

// SignaturesData is the signatures page: one row per signature.
type SignaturesData struct {
	Filters SignatureFilters `json:"filters"`
	// SignatureMatch says how the signature filter was read.
	SignatureMatch *index.SignatureMatch  `json:"signature_match,omitempty"`
	Total          int                    `json:"total"`
	Pages          int                    `json:"pages"`
	Groups         []index.SignatureGroup `json:"groups"`
	AnalyzerSets   []index.SetSummary     `json:"analyzer_sets"`
}

// signatureRow is a group with what its row links to and draws.
type signatureRow struct {
	index.SignatureGroup
	Incident string
	Chart    chart
}

type signaturesView struct {
	Page
	SignaturesData
	Rows       []signatureRow
	Causes     []string
	Sorts      []string
	Prev, Next string
}

// parseFilters reads the query into an index filter and page.
func parseFilters(r *request, now time.Time) (SignatureFilters, index.SignatureFilter, *index.SignatureMatch, error) {
	q := r.query
	sf := SignatureFilters{Signature: strings.TrimSpace(q.Get("signature")), Cause: q.Get("cause"), Module: strings.TrimSpace(q.Get("module")),
		Since: strings.TrimSpace(q.Get("since")), Until: strings.TrimSpace(q.Get("until")), AnalyzerSet: q.Get("set"), Sort: q.Get("sort"), Page: 1}
	if sf.Sort == "" {
		sf.Sort = string(index.SortCount)
	}
	var f index.SignatureFilter
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return sf, f, nil, badRequest(fmt.Errorf("page %q: want a number from 1", p))
		}
		sf.Page = n
	}
	if !validSort(sf.Sort) {
		return sf, f, nil, badRequest(fmt.Errorf("sort %q: want one of %s", sf.Sort, strings.Join(sorts, ", ")))
	}
	if sf.Cause != "" && !validCause(sf.Cause) {
		return sf, f, nil, badRequest(fmt.Errorf("cause %q: want one of %s", sf.Cause, strings.Join(analyze.Causes, ", ")))
	}
	f.Cause, f.Module = sf.Cause, sf.Module
	switch sf.AnalyzerSet {
	case setLatest:
		f.Latest = true
	case setAll:
	default:
		f.AnalyzerSet = sf.AnalyzerSet
	}
	var m *index.SignatureMatch
	if sf.Signature != "" {
		sm, err := index.ResolveSignature(sf.Signature)
		if err != nil {
			return sf, f, nil, badRequest(err)
		}
		m = &sm
		if sm.Form == index.FormPrefix {
			f.SignaturePrefix = strings.TrimSuffix(sm.Canonical[0], "*")
		} else {
			f.Signatures = sm.Canonical
		}
	}
	for _, t := range []struct {
		name, v string
		dst     *time.Time
	}{{"since", sf.Since, &f.Since}, {"until", sf.Until, &f.Until}} {
		if t.v == "" {
			continue
		}
		at, err := index.ParseSince(t.v, now)
		if err != nil {
			return sf, f, nil, badRequest(fmt.Errorf("%s: %w", t.name, err))
		}
		*t.dst = at
	}
	return sf, f, m, nil
}

var sorts = []string{string(index.SortCount), string(index.SortLastSeen), string(index.SortFirstSeen), string(index.SortSignature)}

func validSort(s string) bool {
	for _, x := range sorts {
		if s == x {
			return true
		}
	}
	return false
}

func validCause(c string) bool {
	for _, x := range analyze.Causes {
		if c == x {
			return true
		}
	}
	return false
}

// The analyzer-set choices besides a set's own name. Without one the page
// lists the most recently indexed set's runs: what the current analyzers
// say, fast on any index size. Each archive's latest run, whichever set
// made it, looks up every run's archive and takes seconds on 100,000 runs.
const (
	setLatest = "latest"
	setAll    = "all"
)

// signatures answers the signatures page.
func (s *Server) signatures(w http.ResponseWriter, r *request) error {
	sf, f, m, err := parseFilters(r, time.Now())
	if err != nil {
		return err
	}
	sets, err := s.o.Index.AnalyzerSets(r.Context())
	if err != nil {
		return err
	}
	if sf.AnalyzerSet == "" && len(sets) > 0 {
		sf.AnalyzerSet, f.AnalyzerSet = sets[0].AnalyzerSet, sets[0].AnalyzerSet
	}
	gp := index.GroupPage{Sort: index.SignatureSort(sf.Sort), Limit: pageSize, Offset: (sf.Page - 1) * pageSize, ChartDays: chartDays}
	key := cacheKey(f, gp, sets)
	cached, ok := s.cache.get(key)
	if !ok || s.o.NoCache {
		cached.groups, cached.total, err = s.o.Index.SignatureGroups(r.Context(), f, gp)
		if err != nil {
			return err
		}
		s.cache.put(key, cached)
	}
	groups, total := cached.groups, cached.total
	if groups == nil {
		groups = []index.SignatureGroup{}
	}
	data := SignaturesData{Filters: sf, SignatureMatch: m, Total: total, Pages: (total + pageSize - 1) / pageSize, Groups: groups, AnalyzerSets: sets}
	if r.json {
		return writeJSON(w, data)
	}
	v := signaturesView{Page: s.page(r, "Signatures"), SignaturesData: data, Causes: analyze.Causes, Sorts: sorts}
	for _, g := range groups {
		v.Rows = append(v.Rows, signatureRow{SignatureGroup: g, Incident: s.incidentLink(g.NewestDigest, g.NewestSet), Chart: chartOf(g.Days)})
	}
	pageLink := func(n int) string {
		q := values("signature", sf.Signature, "cause", sf.Cause, "module", sf.Module, "since", sf.Since, "until", sf.Until,
			"set", sf.AnalyzerSet, "sort", sf.Sort)
		q.Set("page", strconv.Itoa(n))
		return s.link("/signatures", q)
	}
	if sf.Page > 1 {
		v.Prev = pageLink(sf.Page - 1)
	}
	if sf.Page < data.Pages {
		v.Next = pageLink(sf.Page + 1)
	}
	return s.render(w, http.StatusOK, signaturesTemplate, v)
}

var signaturesTemplate = pageTemplate(chartTemplate + `{{template "top" .}}<h1>Signatures</h1>
<form class="filter" method="get" action="{{.Signatures}}">
<label>Signature <input name="signature" value="{{.Filters.Signature}}" size="30" placeholder="crash:v1:… or any spelling"></label>
<label>Cause <select name="cause"><option value="">any</option>{{$c := .Filters.Cause}}{{range .Causes}}<option{{if eq . $c}} selected{{end}}>{{.}}</option>{{end}}</select></label>
<label>Module <input name="module" value="{{.Filters.Module}}" size="24" placeholder="example.com/svc*"></label>
<label>Since <input name="since" value="{{.Filters.Since}}" size="11" placeholder="7d, 2026-05-01"></label>
<label>Until <input name="until" value="{{.Filters.Until}}" size="11"></label>
<label>Analyzer set <select name="set">{{$s := .Filters.AnalyzerSet}}{{range $i, $x := .AnalyzerSets}}<option value="{{.AnalyzerSet}}"{{if eq .AnalyzerSet $s}} selected{{end}}>{{.AnalyzerSet}} ({{if eq $i 0}}newest, {{end}}indexed {{when .LastIndexed}})</option>{{end}}<option value="latest"{{if eq $s "latest"}} selected{{end}}>each archive's latest run (slow on large indexes)</option><option value="all"{{if eq $s "all"}} selected{{end}}>every run</option></select></label>
<label>Sort <select name="sort">{{$o := .Filters.Sort}}{{range .Sorts}}<option{{if eq . $o}} selected{{end}}>{{.}}</option>{{end}}</select></label>
<button type="submit">Apply</button>
</form>
{{with .SignatureMatch}}<p class="muted">Signature “{{.Given}}” read as {{.Form}}: {{range $i, $c := .Canonical}}{{if $i}}, {{end}}<code>{{$c}}</code>{{end}}</p>{{end}}
<p class="muted" id="total">{{.Total}} signatures{{if gt .Pages 1}}, page {{.Filters.Page}} of {{.Pages}}{{end}}</p>
<table id="signatures">
<thead><tr><th>Signature</th><th>Cause</th><th>Severity</th><th>Count</th><th>First seen</th><th>Last seen</th><th>Go</th><th>Modules</th><th>Revisions</th><th>Last 30 days</th></tr></thead>
<tbody>
{{range .Rows}}<tr class="sig">
<td><a class="mono" href="{{.Incident}}">{{.Signature}}</a>{{if .Culprit}}<div class="muted mono">{{.Culprit}}</div>{{end}}</td>
<td>{{.Cause}}</td><td class="sev-{{.Severity}}">{{.Severity}}</td><td class="n count">{{.Count}}</td>
<td>{{when .FirstSeen}}</td><td>{{when .LastSeen}}</td>
<td><ul class="vals">{{range .GoVersions}}<li>{{.Value}} <span class="muted">×{{.Count}}</span></li>{{end}}</ul></td>
<td><ul class="vals">{{range .Modules}}<li class="mono">{{.Value}} <span class="muted">×{{.Count}}</span></li>{{end}}</ul></td>
<td><ul class="vals">{{range .VCSRevisions}}<li class="mono">{{short .Value}} <span class="muted">×{{.Count}}</span></li>{{end}}</ul></td>
<td>{{template "chart" .Chart}}</td>
</tr>
{{else}}<tr><td colspan="10">No incidents match.</td></tr>
{{end}}</tbody>
</table>
<p class="pager">{{with .Prev}}<a rel="prev" href="{{.}}">← previous page</a>{{end}}{{with .Next}}<a rel="next" href="{{.}}">next page →</a>{{end}}</p>
{{template "bottom" .}}`)
