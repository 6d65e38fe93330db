package reports

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
)

// findChromium returns Debian's chromium, installing it with apt-get when
// it is missing and the test runs as root; otherwise it skips the test.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if testing.Short() {
		t.Skip("chromium is not installed (and -short forbids installing it)")
	}
	if os.Getuid() != 0 {
		t.Skip("chromium is not installed and installing it needs root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	install := exec.CommandContext(ctx, "sh", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium")
	if out, err := install.CombinedOutput(); err != nil {
		t.Skipf("chromium is not installed and apt-get could not install it: %v\n%s", err, lastLines(out, 5))
	}
	p, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not on PATH after installing it")
	}
	return p
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// artifactDir is where the test leaves screenshots: $CORONER_TEST_ARTIFACTS
// when set, else a temporary directory.
func artifactDir(t *testing.T) string {
	if d := os.Getenv("CORONER_TEST_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// browser is a headless chromium with a DevTools session on its page.
type browser struct {
	cmd *exec.Cmd
	cdp *cdp
}

func startBrowser(t *testing.T, bin string) *browser {
	t.Helper()
	profile := t.TempDir()
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
		"--user-data-dir="+profile, "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
		"--window-size=1280,1600", "about:blank")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start %s: %v", bin, err)
	}
	b := &browser{cmd: cmd}
	t.Cleanup(func() {
		if b.cdp != nil {
			b.cdp.call("Browser.close", map[string]any{}, nil)
			b.cdp.close()
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	// Chromium writes the port it chose to DevToolsActivePort.
	var port int
	deadline := time.Now().Add(30 * time.Second)
	for port == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("chromium did not open its DevTools port:\n%s", lastLines(stderr.Bytes(), 10))
		}
		if b, err := os.ReadFile(filepath.Join(profile, "DevToolsActivePort")); err == nil {
			first, _, _ := strings.Cut(string(b), "\n")
			port, _ = strconv.Atoi(strings.TrimSpace(first))
		}
		time.Sleep(50 * time.Millisecond)
	}
	var targets []struct {
		Type string `json:"type"`
		WS   string `json:"webSocketDebuggerUrl"`
	}
	for time.Now().Before(deadline) {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/json/list", port))
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&targets)
			resp.Body.Close()
		}
		if err == nil && len(targets) > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, tg := range targets {
		if tg.Type == "page" {
			c, err := newCDP(tg.WS)
			if err != nil {
				t.Fatal(err)
			}
			b.cdp = c
			return b
		}
	}
	t.Fatalf("no page target in chromium: %+v", targets)
	return nil
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

// openReport loads the page and returns what it shows, failing on any
// console error, exception, dialog or network request.
func (b *browser) openReport(t *testing.T, path string) pageReport {
	t.Helper()
	c := b.cdp
	for _, m := range []string{"Page.enable", "Runtime.enable", "Log.enable", "Network.enable"} {
		if err := c.call(m, map[string]any{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": 1600, "deviceScaleFactor": 1, "mobile": false}, nil); err != nil {
		t.Fatal(err)
	}
	pageURL := "file://" + path
	c.clearEvents()
	if err := c.call("Page.navigate", map[string]any{"url": pageURL}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.waitEvent("Page.loadEventFired", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	var probe string
	if err := c.eval(pageProbe, &probe); err != nil {
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
	c := b.cdp
	for _, e := range c.eventsNamed("Runtime.consoleAPICalled") {
		var p struct {
			Type string `json:"type"`
			Args []struct {
				Value any `json:"value"`
			} `json:"args"`
		}
		json.Unmarshal(e.Params, &p)
		if p.Type == "error" || p.Type == "assert" {
			t.Errorf("console %s: %v", p.Type, p.Args)
		}
	}
	for _, e := range c.eventsNamed("Runtime.exceptionThrown") {
		t.Errorf("exception: %s", e.Params)
	}
	for _, e := range c.eventsNamed("Log.entryAdded") {
		var p struct {
			Entry struct {
				Level, Source, Text string
			} `json:"entry"`
		}
		json.Unmarshal(e.Params, &p)
		if p.Entry.Level == "error" || p.Entry.Level == "warning" {
			t.Errorf("browser log %s (%s): %s", p.Entry.Level, p.Entry.Source, p.Entry.Text)
		}
	}
	for _, e := range c.eventsNamed("Page.javascriptDialogOpening") {
		t.Errorf("page opened a dialog: %s", e.Params)
	}
	for _, e := range c.eventsNamed("Network.requestWillBeSent") {
		var p struct {
			Request struct{ URL string } `json:"request"`
		}
		json.Unmarshal(e.Params, &p)
		if p.Request.URL != "file://"+path {
			t.Errorf("page made a request: %s", p.Request.URL)
		}
	}
}

func (b *browser) screenshot(t *testing.T, name string) string {
	t.Helper()
	var shot struct {
		Data string `json:"data"`
	}
	if err := b.cdp.call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &shot); err != nil {
		t.Fatal(err)
	}
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(artifactDir(t), name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
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
