package reports

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/internal/browsertest"
)

// findChromium returns Chromium or skips the test (browsertest.Find).
func findChromium(t *testing.T) string { return browsertest.Find(t) }

// artifactDir is where the test leaves screenshots (browsertest.ArtifactDir).
func artifactDir(t *testing.T) string { return browsertest.ArtifactDir(t) }

// browser is a headless chromium with a DevTools session on its page.
type browser struct {
	*browsertest.Browser
	cdp session
}

// session is the DevTools session, with the calls the tests below make.
type session struct{ *browsertest.Session }

func (s session) call(method string, params, result any) error { return s.Call(method, params, result) }
func (s session) eval(expr string, out any) error              { return s.Eval(expr, out) }
func (s session) clearEvents()                                 { s.ClearEvents() }
func (s session) waitEvent(method string, timeout time.Duration) error {
	return s.WaitEvent(method, timeout)
}

func startBrowser(t *testing.T, bin string) *browser {
	t.Helper()
	b := browsertest.Start(t, bin)
	return &browser{Browser: b, cdp: session{b.CDP}}
}

// pageReport is what the test reads back from the rendered page.
type pageReport struct {
	Nodes    int      `json:"nodes"`
	Top      []string `json:"top"`
	Imgs     int      `json:"imgs"`
	Scripts  int      `json:"scripts"`
	Verdict  string   `json:"verdict"`
	Flame    bool     `json:"flame"`
	Timeline int      `json:"timeline"`
	Groups   int      `json:"groups"`
}

const pageProbe = `JSON.stringify((function () {
  var svg = document.getElementById('flame-svg');
  var top = [];
  if (window.coronerFlame) {
    var f = window.coronerFlame;
    for (var i = 0; i < f.names.length; i++) { if (f.depths[i] === 1) { top.push(f.names[i]); } }
  }
  return {
    nodes: svg ? svg.querySelectorAll('g[data-i]').length : 0,
    top: top,
    imgs: document.images.length,
    scripts: document.scripts.length,
    verdict: document.querySelector('header.verdict h1').textContent,
    flame: !!window.coronerFlame,
    timeline: document.querySelectorAll('svg.timeline rect').length,
    groups: document.querySelectorAll('details.group').length
  };
})())`

// openReport loads the page and returns what it shows.
func (b *browser) openReport(t *testing.T, path string) pageReport {
	t.Helper()
	b.Open(t, "file://"+path)
	var probe string
	if err := b.cdp.eval(pageProbe, &probe); err != nil {
		t.Fatal(err)
	}
	var pr pageReport
	if err := json.Unmarshal([]byte(probe), &pr); err != nil {
		t.Fatal(err)
	}
	return pr
}

// checkQuiet fails on console errors, exceptions, dialogs and any network
// request other than the page itself.
func (b *browser) checkQuiet(t *testing.T, path string) {
	t.Helper()
	b.CheckQuiet(t, func(u string) bool { return u == "file://"+path })
}

func (b *browser) screenshot(t *testing.T, name string) string {
	t.Helper()
	return b.Screenshot(t, name)
}

func writePage(t *testing.T, r *analyze.Result) string {
	t.Helper()
	var out bytes.Buffer
	if err := RenderHTML(&out, r, Options{}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHTMLInChromium opens the golden case's report in headless Chromium:
// no console errors (a CSP violation would log one), no network requests,
// the flame graph drawn with the profile's top frames, zoom and search
// working, and a screenshot left behind.
func TestHTMLInChromium(t *testing.T) {
	bin := findChromium(t)
	r := loadCase(t, filepath.Join("testdata", "cases", "lockwait"))
	path := writePage(t, r)
	b := startBrowser(t, bin)
	pr := b.openReport(t, path)
	defer b.checkQuiet(t, path)
	if !pr.Flame || pr.Nodes == 0 {
		t.Fatalf("flame graph missing: %+v", pr)
	}
	l := layoutFlame(r.Flame, flameMaxNodes)
	var want []string
	for _, n := range l.Nodes {
		if n.Depth == 1 {
			want = append(want, l.Names[n.Name])
		}
	}
	if strings.Join(pr.Top, "\n") != strings.Join(want, "\n") || !contains(pr.Top, "main.worker") {
		t.Errorf("top frames %q, want %q including main.worker", pr.Top, want)
	}
	if pr.Nodes != len(l.Nodes) {
		t.Errorf("page draws %d flame nodes, layout has %d", pr.Nodes, len(l.Nodes))
	}
	if !strings.HasPrefix(strings.TrimSpace(pr.Verdict), "Verdict: lock_wait") {
		t.Errorf("verdict heading %q", pr.Verdict)
	}
	if pr.Timeline != len(r.Pauses) || pr.Groups != len(r.Goroutines) {
		t.Errorf("timeline bars %d (want %d), goroutine groups %d (want %d)", pr.Timeline, len(r.Pauses), pr.Groups, len(r.Goroutines))
	}
	// Click main.worker: it fills the width, its parent too, siblings hide.
	var zoom struct {
		Width, RootWidth float64
		Hidden           int
	}
	var zs string
	if err := b.cdp.eval(`JSON.stringify((function () {
  var f = window.coronerFlame, i = f.names.indexOf('main.worker');
  var g = document.querySelector('#flame-svg g[data-i="' + i + '"]');
  g.dispatchEvent(new MouseEvent('click', {bubbles: true}));
  return {Width: +g.querySelector('rect').getAttribute('width'),
          RootWidth: +document.querySelector('#flame-svg g[data-i="0"] rect').getAttribute('width'),
          Hidden: document.querySelectorAll('#flame-svg g.hidden').length};
})())`, &zs); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal([]byte(zs), &zoom)
	if zoom.Width != flameWidth || zoom.RootWidth != flameWidth || zoom.Hidden == 0 {
		t.Errorf("zoom on main.worker: %+v", zoom)
	}
	var detail string
	if err := b.cdp.eval(`document.getElementById('flame-detail').textContent`, &detail); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(detail, "main.worker — ") {
		t.Errorf("detail line %q", detail)
	}
	var match string
	if err := b.cdp.eval(`(function () {
  document.getElementById('flame-reset').click();
  var s = document.getElementById('flame-search');
  s.value = 'sha256';
  s.dispatchEvent(new Event('input'));
  return document.querySelectorAll('#flame-svg g.hit').length + ' ' + document.getElementById('flame-match').textContent;
})()`, &match); err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(match, "0 ") || !strings.Contains(match, "of samples") {
		t.Errorf("search for sha256: %q", match)
	}
	p := b.screenshot(t, "report-lockwait.png")
	// Printing opens every collapsed section and hides the controls.
	var pdf struct {
		Data string `json:"data"`
	}
	if err := b.cdp.call("Page.printToPDF", map[string]any{"printBackground": true}, &pdf); err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(pdf.Data)
	if err != nil || !bytes.HasPrefix(raw, []byte("%PDF-")) {
		t.Fatalf("printing gave no PDF: %v", err)
	}
	if err := os.WriteFile(filepath.Join(artifactDir(t), "report-lockwait.pdf"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	var closed int
	if err := b.cdp.eval(`document.querySelectorAll('details:not([open])').length`, &closed); err != nil {
		t.Fatal(err)
	}
	if closed != 0 {
		t.Errorf("%d sections stayed collapsed when printing", closed)
	}
	t.Logf("screenshot: %s; search: %s", p, match)
}

// TestCasesInChromium opens every golden case's page in one browser: no
// console errors or requests, and the flame graph, timeline and groups the
// result holds are on the page.
func TestCasesInChromium(t *testing.T) {
	bin := findChromium(t)
	b := startBrowser(t, bin)
	for _, dir := range caseDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			r := loadCase(t, dir)
			path := writePage(t, r)
			pr := b.openReport(t, path)
			defer b.checkQuiet(t, path)
			if (r.Flame != nil && r.Flame.Value > 0) != (pr.Flame && pr.Nodes > 0) {
				t.Errorf("flame graph on page = %v, result has one = %v", pr.Flame, r.Flame != nil)
			}
			wantGroups := min(len(r.Goroutines), htmlGroups)
			if pr.Groups != wantGroups {
				t.Errorf("page shows %d goroutine groups, want %d", pr.Groups, wantGroups)
			}
			if (len(r.Pauses) > 0) != (pr.Timeline > 0) {
				t.Errorf("timeline bars %d for %d pauses", pr.Timeline, len(r.Pauses))
			}
			b.screenshot(t, "report-"+filepath.Base(dir)+".png")
		})
	}
}

// TestHostileHTMLInChromium opens the hostile result's page: nothing may
// execute, load or open, and the hostile names must reach the page only as
// text.
func TestHostileHTMLInChromium(t *testing.T) {
	bin := findChromium(t)
	r := hostileResult(t)
	path := writePage(t, r)
	b := startBrowser(t, bin)
	pr := b.openReport(t, path)
	defer b.checkQuiet(t, path)
	if pr.Imgs != 0 || pr.Scripts != 2 {
		t.Errorf("hostile page has %d images and %d scripts, want 0 and 2", pr.Imgs, pr.Scripts)
	}
	if !pr.Flame || pr.Nodes == 0 {
		t.Errorf("hostile page lost its flame graph: %+v", pr)
	}
	var hover string
	if err := b.cdp.eval(`(function () {
  var g = document.querySelector('#flame-svg g[data-i="1"]');
  g.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
  return document.getElementById('flame-detail').textContent;
})()`, &hover); err != nil {
		t.Fatal(err)
	}
	if hover == "" {
		t.Error("hover shows nothing")
	}
	b.screenshot(t, "report-hostile.png")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
