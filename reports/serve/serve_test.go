package serve

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/coroner/coroner/internal/index"
	"github.com/coroner/coroner/reports"
)

// get fetches u and returns the status and body.
func get(t *testing.T, u string, accept string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	code, h, body := get(t, u, "")
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("%s: %d %s\n%s", u, code, h.Get("Content-Type"), body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("%s: %v", u, err)
	}
}

func groupOf(d SignaturesData, sig string) *index.SignatureGroup {
	for i := range d.Groups {
		if d.Groups[i].Signature == sig {
			return &d.Groups[i]
		}
	}
	return nil
}

func TestSignaturesJSON(t *testing.T) {
	f := batchFixture(t)
	ts, _ := newServer(t, f, "")
	var all SignaturesData
	getJSON(t, ts.URL+"/signatures.json", &all)
	g := groupOf(all, crashSignature)
	if g == nil || g.Count != 2 || g.Cause != "crash" || g.Severity != "critical" || g.Culprit != "main.(*ledger).record" {
		t.Fatalf("crash group %+v in %+v", g, all.Groups)
	}
	if all.Total != 4 || groupOf(all, "none") == nil {
		t.Errorf("%d signatures, want 4 (crash, deadlock, none, hostile)", all.Total)
	}
	// The same page by content negotiation.
	code, _, body := get(t, ts.URL+"/signatures?cause=crash", "application/json")
	var crashes SignaturesData
	if code != http.StatusOK || json.Unmarshal([]byte(body), &crashes) != nil || crashes.Total != 1 || crashes.Groups[0].Signature != crashSignature {
		t.Errorf("cause filter by Accept: %d %s", code, body)
	}
	// Any spelling coroner printed finds the crash, and the page says how it read it.
	var byKey SignaturesData
	getJSON(t, ts.URL+"/signatures.json?"+url.Values{"signature": {strings.TrimPrefix(crashSignature, "crash:")}}.Encode(), &byKey)
	if byKey.Total != 1 || byKey.SignatureMatch == nil || byKey.SignatureMatch.Form != index.FormCrashKey {
		t.Errorf("signature by key without its cause: %+v", byKey)
	}
	var bySet SignaturesData
	getJSON(t, ts.URL+"/signatures.json?"+url.Values{"set": {f.set + nextSet}, "cause": {hostileCause}}.Encode(), &bySet)
	if bySet.Total != 1 || bySet.Groups[0].Culprit != hostileChangedCulprit {
		t.Errorf("analyzer set filter: %+v", bySet)
	}
	for _, q := range []string{"cause=nope", "sort=sideways", "page=0", "since=yesterday", "signature=%3A"} {
		if code, _, body := get(t, ts.URL+"/signatures?"+q, ""); code != http.StatusBadRequest || !strings.Contains(body, "<h1>400") {
			t.Errorf("?%s: %d, want 400\n%s", q, code, body)
		}
	}
}

func TestIncidentAndReport(t *testing.T) {
	f := batchFixture(t)
	ts, _ := newServer(t, f, "/coroner")
	var sigs SignaturesData
	getJSON(t, ts.URL+"/coroner/signatures.json?cause=crash", &sigs)
	g := sigs.Groups[0]
	base := ts.URL + "/coroner/incidents/" + g.NewestDigest + "/" + g.NewestSet
	var inc IncidentData
	getJSON(t, base+".json", &inc)
	if inc.Run.Signature != crashSignature || inc.SameTotal != 2 || len(inc.Same) != 2 || len(inc.Inventory) == 0 || inc.ResultError != "" {
		t.Errorf("incident: %+v", inc)
	}
	code, h, page := get(t, base+"/report", "")
	if code != http.StatusOK || !strings.Contains(page, `<meta http-equiv="Content-Security-Policy"`) || !strings.Contains(page, "Verdict: <code>crash</code>") {
		t.Errorf("report: %d\n%.300s", code, page)
	}
	if h.Get("Content-Security-Policy") != reportCSP {
		t.Errorf("report's CSP header %q", h.Get("Content-Security-Policy"))
	}
	code, _, body := get(t, base+"/report.json", "")
	if code != http.StatusOK || reports.ValidateJSON([]byte(body)) != nil {
		t.Errorf("report.json: %d %v", code, reports.ValidateJSON([]byte(body)))
	}
	for path, want := range map[string]int{
		"/coroner/incidents/" + g.NewestDigest + "/nope":    http.StatusNotFound,
		"/coroner/incidents/../../etc/passwd/report":        http.StatusNotFound,
		"/coroner/elsewhere":                                http.StatusNotFound,
		"/signatures":                                       http.StatusNotFound,
		"/coroner/incidents/" + hostileDigest + "/x/report": http.StatusNotFound,
	} {
		if code, _, _ := get(t, ts.URL+path, ""); code != want {
			t.Errorf("%s: %d, want %d", path, code, want)
		}
	}
	resp, err := http.Post(ts.URL+"/coroner/signatures", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", resp.StatusCode)
	}
	resp, err = http.Get(ts.URL + "/coroner/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/coroner/signatures" {
		t.Errorf("/coroner/ led to %s", resp.Request.URL.Path)
	}
}

func TestChanges(t *testing.T) {
	f := batchFixture(t)
	ts, _ := newServer(t, f, "")
	var d ChangesData
	getJSON(t, ts.URL+"/changes.json", &d)
	if d.Old != f.set || d.New != f.set+nextSet || d.Diff == nil || d.Diff.Compared != len(corpusArchives)+1 ||
		d.Diff.Unchanged != len(corpusArchives) || len(d.Diff.Changes) != 1 {
		t.Fatalf("changes: %+v %+v", d, d.Diff)
	}
	c := d.Diff.Changes[0]
	if c.ArchiveDigest != hostileDigest || len(c.Fields) != 1 || c.Fields[0].Field != "culprit" || c.Fields[0].New != hostileChangedCulprit {
		t.Errorf("change %+v", c)
	}
	var same ChangesData
	getJSON(t, ts.URL+"/changes.json?old="+f.set+"&new="+f.set, &same)
	if len(same.Diff.Changes) != 0 {
		t.Errorf("a set against itself changed: %+v", same.Diff)
	}
	if code, _, _ := get(t, ts.URL+"/changes?old="+f.set, ""); code != http.StatusBadRequest {
		t.Errorf("one set only: %d, want 400", code)
	}
}

// TestHostilePagesInert renders every page that shows the hostile run and
// demands that no hostile string reaches the page as markup: no script,
// image or event handler, and each string present as escaped text.
func TestHostilePagesInert(t *testing.T) {
	f := batchFixture(t)
	ts, _ := newServer(t, f, "")
	hostileSig := hostileSignature
	pages := []string{
		"/signatures",
		"/signatures?" + url.Values{"signature": {hostileSig}, "module": {hostileStrings[0]}}.Encode(),
		"/signatures?" + url.Values{"signature": {hostileStrings[0]}}.Encode(),
		"/incidents/" + hostileDigest + "/" + f.set,
		"/changes",
	}
	for _, p := range pages {
		code, h, page := get(t, ts.URL+p, "")
		if code != http.StatusOK && code != http.StatusBadRequest {
			t.Errorf("%s: %d", p, code)
		}
		if h.Get("Content-Security-Policy") != csp {
			t.Errorf("%s: CSP %q", p, h.Get("Content-Security-Policy"))
		}
		checkInert(t, p, page)
	}
	_, _, page := get(t, ts.URL+"/signatures", "")
	for _, s := range []string{hostileSignature, hostileChangedCulprit} {
		if !strings.Contains(page, html.EscapeString(s)) && !strings.Contains(page, htmlTemplateEscape(s)) {
			t.Errorf("signatures page lacks %q as text", s)
		}
	}
}

// pageTags are the elements the server's templates write.
var pageTags = map[string]bool{"html": true, "head": true, "meta": true, "title": true, "style": true, "body": true, "nav": true,
	"a": true, "main": true, "h1": true, "h2": true, "form": true, "label": true, "input": true, "select": true, "option": true,
	"button": true, "p": true, "table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true, "div": true,
	"ul": true, "li": true, "span": true, "code": true, "svg": true, "rect": true, "dl": true, "dt": true, "dd": true,
	"strong": true, "footer": true, "link": true}

var (
	tagRe  = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>`)
	attrRe = regexp.MustCompile(`\s([a-zA-Z-]+)(?:="([^"]*)")?`)
)

// checkInert fails when a page of the server holds markup no template
// writes: every '<' in text is escaped, so each tag on the page must be
// one of pageTags with no event handler, style or source attribute, and
// links may only lead to the server's own paths.
func checkInert(t *testing.T, name, page string) {
	t.Helper()
	if strings.Contains(strings.ToLower(page), "<!doctype html>") {
		page = page[len("<!DOCTYPE html>"):]
	}
	for _, m := range tagRe.FindAllStringSubmatch(page, -1) {
		if !pageTags[strings.ToLower(m[2])] {
			t.Errorf("%s has element %s", name, m[0])
		}
		rest := attrRe.ReplaceAllStringFunc(m[3], func(a string) string {
			am := attrRe.FindStringSubmatch(a)
			attr, val := strings.ToLower(am[1]), am[2]
			switch {
			case strings.HasPrefix(attr, "on"), attr == "style", attr == "src", attr == "srcdoc", attr == "formaction":
				t.Errorf("%s has attribute %s in %s", name, a, m[0])
			case (attr == "href" || attr == "action") && !strings.HasPrefix(val, "/") && val != "data:,":
				t.Errorf("%s links off the server: %s", name, m[0])
			}
			return ""
		})
		if strings.Trim(rest, " /") != "" {
			t.Errorf("%s: tag %s has unparsed attribute text %q", name, m[0], rest)
		}
	}
}

// htmlTemplateEscape is how html/template escapes text: like
// html.EscapeString but quotes and plus as numeric references.
func htmlTemplateEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "+", "&#43;", "\x00", "\uFFFD")
	return r.Replace(s)
}
