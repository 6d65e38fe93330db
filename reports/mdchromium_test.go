package reports

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
)

// gfmPageStyle lays the rendered Markdown out roughly as a code host does,
// so the screenshot shows what a reader of the ticket sees.
const gfmPageStyle = `body{font:14px/1.5 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;max-width:1012px;margin:24px auto;color:#1f2328}
code,pre{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;border-radius:6px}
code{padding:.2em .4em}pre{padding:16px;overflow:auto}pre code{padding:0}
table{border-collapse:collapse;display:block;overflow:auto}th,td{border:1px solid #d1d9e0;padding:6px 13px}
h1,h2{border-bottom:1px solid #d1d9e0;padding-bottom:.3em}blockquote{color:#59636e;border-left:.25em solid #d1d9e0;margin:0;padding:0 1em}`

// writeGFMPage renders r's Markdown report to HTML with goldmark's GFM
// extension, checks the HTML is inert, and writes it as a page.
func writeGFMPage(t *testing.T, r *analyze.Result, name string) string {
	t.Helper()
	var md bytes.Buffer
	if err := RenderMarkdown(&md, r, Options{}); err != nil {
		t.Fatal(err)
	}
	body := renderGFM(t, md.Bytes())
	checkMarkdownHTML(t, body)
	page := "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + name + "</title><style>" + gfmPageStyle +
		"</style></head><body>\n" + body + "</body></html>\n"
	p := filepath.Join(t.TempDir(), name+".html")
	if err := os.WriteFile(p, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// gfmProbe reads back what the browser made of the rendered Markdown:
// every element that could act (links, images, scripts, frames, forms,
// handlers) and the page's text.
const gfmProbe = `JSON.stringify((function () {
  var handlers = 0;
  document.querySelectorAll('*').forEach(function (el) {
    for (var i = 0; i < el.attributes.length; i++) { if (/^on/i.test(el.attributes[i].name)) { handlers++; } }
  });
  return {
    links: document.links.length + document.querySelectorAll('a').length,
    imgs: document.images.length,
    scripts: document.scripts.length,
    active: document.querySelectorAll('iframe,object,embed,form,input,video,audio,svg,style:not(head style),link').length,
    handlers: handlers,
    text: document.body.textContent,
    prose: (function () {
      var c = document.body.cloneNode(true);
      c.querySelectorAll('code,pre').forEach(function (e) { e.remove(); });
      return c.textContent;
    })(),
    height: document.documentElement.scrollHeight
  };
})())`

// gfmPage is what gfmProbe returns.
type gfmPage struct {
	Links, Imgs, Scripts, Active, Handlers int
	Text                                   string
	// Prose is the text outside code spans and blocks, where hosts
	// turn "@name" into a mention.
	Prose  string
	Height int
}

// openGFMPage loads a page in the browser and probes it.
func (b *browser) openGFMPage(t *testing.T, path string) gfmPage {
	t.Helper()
	c := b.cdp
	for _, m := range []string{"Page.enable", "Runtime.enable", "Log.enable", "Network.enable"} {
		if err := c.call(m, map[string]any{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 1100, "height": 1400, "deviceScaleFactor": 1, "mobile": false}, nil); err != nil {
		t.Fatal(err)
	}
	c.clearEvents()
	if err := c.call("Page.navigate", map[string]any{"url": "file://" + path}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.waitEvent("Page.loadEventFired", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	var probe string
	if err := c.eval(gfmProbe, &probe); err != nil {
		t.Fatal(err)
	}
	var p gfmPage
	if err := json.Unmarshal([]byte(probe), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMarkdownRenderedInChromium renders the Markdown report of a real
// crash and of the hostile result with a GFM renderer, opens the HTML in
// headless Chromium and demands a page with no link, image, script or
// handler, that loads nothing and opens nothing, and that shows coroner's
// prose as text (not code) and the hostile strings literally. The
// screenshots are left in the artifact directory.
func TestMarkdownRenderedInChromium(t *testing.T) {
	bin := findChromium(t)
	crash := loadCase(t, filepath.Join("testdata", "cases", "crash"))
	for _, c := range []struct {
		name  string
		r     *analyze.Result
		texts []string
	}{
		{"report-md-crash", crash, []string{
			"Remedy: " + crash.Findings[0].Remedy,
			"crash_signature: " + crash.Findings[0].Evidence[0].Text + " from ",
		}},
		{"report-md-hostile", hostileResult(t), literalInText},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeGFMPage(t, c.r, c.name)
			b := startBrowser(t, bin)
			p := b.openGFMPage(t, path)
			defer b.checkQuiet(t, path)
			if p.Links != 0 || p.Imgs != 0 || p.Scripts != 0 || p.Active != 0 || p.Handlers != 0 {
				t.Errorf("rendered Markdown has %d links, %d images, %d scripts, %d active elements, %d handlers; want none",
					p.Links, p.Imgs, p.Scripts, p.Active, p.Handlers)
			}
			for _, want := range c.texts {
				if !strings.Contains(p.Text, want) {
					t.Errorf("page does not show %q as text", want)
				}
			}
			if m := mentionRe.FindStringIndex(p.Prose); m != nil {
				t.Errorf("page shows a mention outside code: …%s…", p.Prose[max(0, m[0]-40):min(len(p.Prose), m[1]+40)])
			}
			if p.Height < 1000 {
				t.Errorf("page is %d pixels tall; the report did not render", p.Height)
			}
			t.Logf("screenshot: %s", b.screenshot(t, c.name+".png"))
		})
	}
}
