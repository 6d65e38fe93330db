package serve

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/internal/browsertest"
)

// signaturesProbe reads the signatures table back from the page.
const signaturesProbe = `JSON.stringify(Array.from(document.querySelectorAll('#signatures tr.sig')).map(function (tr) {
  return {signature: tr.querySelector('td a').textContent, count: +tr.querySelector('td.count').textContent,
          cause: tr.children[1].textContent, bars: tr.querySelectorAll('svg.days rect').length};
}))`

type signatureRowSeen struct {
	Signature string `json:"signature"`
	Count     int    `json:"count"`
	Cause     string `json:"cause"`
	Bars      int    `json:"bars"`
}

// inertProbe counts what hostile input would add to a page if it were
// markup: scripts, images, frames, elements with event handlers or style
// attributes, and links leading off the server.
const inertProbe = `JSON.stringify((function () {
  var handlers = 0, styled = 0, offsite = [];
  document.querySelectorAll('*').forEach(function (el) {
    for (var i = 0; i < el.attributes.length; i++) {
      var n = el.attributes[i].name.toLowerCase();
      if (n.indexOf('on') === 0) { handlers++; }
      if (n === 'style') { styled++; }
    }
  });
  document.querySelectorAll('a[href], form[action]').forEach(function (el) {
    var u = new URL(el.href || el.action, location.href);
    if (u.origin !== location.origin) { offsite.push(u.href); }
  });
  return {scripts: document.scripts.length, images: document.images.length,
          frames: document.querySelectorAll('iframe,object,embed').length,
          handlers: handlers, styled: styled, offsite: offsite, text: document.body.textContent};
})())`

type inertSeen struct {
	Scripts  int      `json:"scripts"`
	Images   int      `json:"images"`
	Frames   int      `json:"frames"`
	Handlers int      `json:"handlers"`
	Styled   int      `json:"styled"`
	Offsite  []string `json:"offsite"`
	Text     string   `json:"text"`
}

// navigate runs a click (or form submission) in the page and waits for
// the page it leads to.
func navigate(t *testing.T, b *browsertest.Browser, js string) {
	t.Helper()
	b.CDP.ClearEvents()
	var ignored any
	if err := b.CDP.Eval("(function () { "+js+"; return true; })()", &ignored); err != nil {
		t.Fatal(err)
	}
	if err := b.CDP.WaitEvent("Page.loadEventFired", 30*time.Second); err != nil {
		t.Fatal(err)
	}
}

func evalJSON(t *testing.T, b *browsertest.Browser, expr string, v any) {
	t.Helper()
	var s string
	if err := b.CDP.Eval(expr, &s); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatal(err)
	}
}

// TestSignaturesInChromium drives the server on 127.0.0.1 from headless
// Chromium over a real index: the crash captured twice is one signature
// counted twice, the cause filter narrows the list to it, clicking leads
// to its incident and its report, and no page logs an error or requests
// anything but the server's own pages.
func TestSignaturesInChromium(t *testing.T) {
	bin := browsertest.Find(t)
	f := batchFixture(t)
	ts, _ := newServer(t, f, "")
	own := func(u string) bool { return strings.HasPrefix(u, ts.URL+"/") }
	b := browsertest.Start(t, bin)

	b.Open(t, ts.URL+"/signatures")
	var rows []signatureRowSeen
	evalJSON(t, b, signaturesProbe, &rows)
	var crash *signatureRowSeen
	for i := range rows {
		if rows[i].Signature == crashSignature {
			crash = &rows[i]
		}
	}
	if len(rows) != 4 || crash == nil || crash.Count != 2 || crash.Cause != "crash" || crash.Bars != chartDays {
		t.Fatalf("signatures page rows %+v, want 4 with %s counted twice and %d daily bars", rows, crashSignature, chartDays)
	}
	b.Screenshot(t, "serve-signatures.png")
	b.CheckQuiet(t, own)

	// The filter form, submitted as a person would: no script on the page.
	navigate(t, b, `document.querySelector('select[name=cause]').value = 'crash';
  document.querySelector('form.filter button[type=submit]').click()`)
	evalJSON(t, b, signaturesProbe, &rows)
	if len(rows) != 1 || rows[0].Signature != crashSignature || rows[0].Count != 2 {
		t.Fatalf("filtered by cause crash: %+v", rows)
	}
	var loc string
	if err := b.CDP.Eval("location.search", &loc); err != nil || !strings.Contains(loc, "cause=crash") {
		t.Errorf("filtered page's query %q (%v)", loc, err)
	}
	b.Screenshot(t, "serve-signatures-crash.png")
	b.CheckQuiet(t, own)

	navigate(t, b, `document.querySelector('#signatures tr.sig td a').click()`)
	var same int
	if err := b.CDP.Eval(`document.querySelectorAll('#same tbody tr').length`, &same); err != nil || same != 2 {
		t.Errorf("incident page lists %d incidents with its signature, want 2 (%v)", same, err)
	}
	b.Screenshot(t, "serve-incident.png")
	b.CheckQuiet(t, own)

	navigate(t, b, `document.getElementById('report').click()`)
	var verdict string
	if err := b.CDP.Eval(`document.querySelector('header.verdict h1').textContent`, &verdict); err != nil || !strings.HasPrefix(strings.TrimSpace(verdict), "Verdict: crash") {
		t.Errorf("report's verdict %q (%v)", verdict, err)
	}
	var flame bool
	if err := b.CDP.Eval(`!!window.coronerFlame`, &flame); err != nil || !flame {
		t.Errorf("the report's script did not run under its policy: %v", err)
	}
	b.Screenshot(t, "serve-report.png")
	b.CheckQuiet(t, own)
}

// TestHostileInChromium opens every page that shows the hostile run: no
// hostile string may execute, load, open a dialog or become markup, and
// each must be on the page as text.
func TestHostileInChromium(t *testing.T) {
	bin := browsertest.Find(t)
	f := batchFixture(t)
	ts, _ := newServer(t, f, "/coroner")
	own := func(u string) bool { return strings.HasPrefix(u, ts.URL+"/") }
	b := browsertest.Start(t, bin)
	incident := "/coroner/incidents/" + hostileDigest + "/" + f.set
	pages := []struct {
		name, path string
		scripts    int
		texts      []string
	}{
		{"signatures", "/coroner/signatures", 0, []string{hostileSignature, hostileChangedCulprit}},
		{"filtered", "/coroner/signatures?" + url.Values{"signature": {hostileSignature}, "module": {hostileStrings[1]}, "set": {f.set}}.Encode(), 0, []string{hostileSignature}},
		{"prefix-filter", "/coroner/signatures?" + url.Values{"signature": {hostileStrings[8] + "*"}}.Encode(), 0, []string{hostileStrings[8]}},
		{"incident", incident, 0, []string{hostileSignature, hostileCulprit}},
		{"report", incident + "/report", 2, nil},
		{"changes", "/coroner/changes", 0, []string{hostileCulprit, hostileChangedCulprit}},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			b.Open(t, ts.URL+p.path)
			var seen inertSeen
			evalJSON(t, b, inertProbe, &seen)
			if seen.Scripts != p.scripts || seen.Images != 0 || seen.Frames != 0 || seen.Handlers != 0 || seen.Styled != 0 || len(seen.Offsite) != 0 {
				t.Errorf("%s: %d scripts (want %d), %d images, %d frames, %d handlers, %d style attributes, links off the server %v",
					p.path, seen.Scripts, p.scripts, seen.Images, seen.Frames, seen.Handlers, seen.Styled, seen.Offsite)
			}
			for _, s := range p.texts {
				if !strings.Contains(seen.Text, s) {
					t.Errorf("%s: %q is not on the page as text", p.path, s)
				}
			}
			b.Screenshot(t, "serve-hostile-"+p.name+".png")
			b.CheckQuiet(t, own)
		})
	}
}
