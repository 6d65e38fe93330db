package serve

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/coroner/coroner/internal/index"
)

// pageCSS is the one style sheet, inline in every page and allowed by its
// hash.
const pageCSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
nav.top{background:#24292f;padding:.5em 1.2em}nav.top a{color:#fff;margin-right:1.4em;text-decoration:none;font-weight:600}
nav.top a.json{float:right;font-weight:400;color:#c9d1d9}
main{padding:1em 1.2em;max-width:1400px}
h1{font-size:1.35em;margin:.2em 0 .6em}h2{font-size:1.1em;margin:1.4em 0 .5em}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #e1e4e8;padding:.35em .5em;text-align:left;vertical-align:top}
td{overflow-wrap:anywhere}#inventory td:first-child{min-width:18em}
th{background:#f3f4f6;font-weight:600;white-space:nowrap}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap;overflow-wrap:normal}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px;overflow-wrap:anywhere}
.sev-critical{color:#b42318;font-weight:600}.sev-warning{color:#b54708;font-weight:600}.sev-info{color:#475467}
.muted{color:#667085}ul.vals{margin:0;padding:0;list-style:none}
form.filter{display:flex;flex-wrap:wrap;gap:.6em;align-items:flex-end;margin:0 0 1em;background:#fff;padding:.7em;border:1px solid #e1e4e8}
form.filter label{display:flex;flex-direction:column;font-size:12px;color:#475467}
form.filter input,form.filter select{font:inherit;padding:.2em .3em}
.pager{margin:.8em 0}.pager a{margin-right:1em}
svg.days rect{fill:#d92d20}svg.days rect.zero{fill:#e4e7ec}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}dl.facts dt{color:#475467}dl.facts dd{margin:0}
.error{background:#fef3f2;border:1px solid #fecdca;padding:.8em}
footer{color:#667085;font-size:12px;padding:1em 1.2em}
`

// csp is the HTML report's policy (reports/html.go) for pages without
// script: nothing loads from outside the page, the one inline style by
// its hash, images only as data: URLs; forms may only submit to the
// server itself (the filter form is a GET to the same page), and no page
// may be framed.
var csp = "default-src 'none'; style-src '" + cspHash(pageCSS) + "'; script-src 'none'; img-src data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// securityHeaders sets the headers every answer carries.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
}

// Page is what every page's template needs: its title and the links of
// the navigation bar.
type Page struct {
	Title      string
	Signatures string
	Changes    string
	// JSON is this page's JSON URL.
	JSON string
}

// page returns the navigation data of a page titled title for r.
func (s *Server) page(r *request, title string) Page {
	u := *r.URL
	u.Path += ".json"
	return Page{Title: title, Signatures: s.link("/signatures", nil), Changes: s.link("/changes", nil), JSON: u.RequestURI()}
}

// layout holds the templates every page shares: "top" and "bottom".
var layout = template.Must(template.New("layout").Funcs(template.FuncMap{
	"css":  func() template.CSS { return template.CSS(pageCSS) },
	"when": when,
	"filed": func(r index.Run) time.Time {
		if r.IncidentTime.IsZero() {
			return r.IndexedAt
		}
		return r.IncidentTime
	},
	"short":  short,
	"mul100": func(f float64) float64 { return f * 100 },
}).Parse(`{{define "top"}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{{.Title}} · coroner</title>
<style>{{css}}</style>
</head>
<body>
<nav class="top"><a href="{{.Signatures}}">Signatures</a><a href="{{.Changes}}">Changes</a><a class="json" href="{{.JSON}}">JSON</a></nav>
<main>
{{end}}
{{define "bottom"}}</main>
<footer>coroner serve · read-only</footer>
</body>
</html>
{{end}}`))

// pageTemplate is layout with one page's templates added.
func pageTemplate(text string) *template.Template {
	return template.Must(template.Must(layout.Clone()).Parse(text))
}

// when formats a time to the minute, UTC.
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

// render executes t with data into a buffer first, so a template error
// never leaves half a page, then answers with status.
func (s *Server) render(w http.ResponseWriter, status int, t *template.Template, data any) error {
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(b.Bytes())
	return err
}

// errorPage is a failed request's page.
type errorPage struct {
	Page
	Status  int
	Message string
}

var errorTemplate = pageTemplate(`{{template "top" .}}<h1>{{.Status}} {{.Title}}</h1>
<p class="error">{{.Message}}</p>
{{template "bottom" .}}`)

// values builds a url.Values from key, value pairs, leaving out empty values.
func values(kv ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	return q
}
