package reports

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"strings"
	"time"

	"github.com/coroner/coroner/analyze"
)

//go:embed assets/report.css
var reportCSS string

//go:embed assets/report.js
var reportJS string

// HTML report limits.
const (
	// maxHTMLBytes is the size the HTML report must stay under, so it opens
	// quickly and fits attachment limits; the flame graph is pruned harder
	// until it does.
	maxHTMLBytes = 5 << 20
	// htmlGroups is how many goroutine groups the page lists.
	htmlGroups = 200
	// htmlGroupFrames caps the frames shown per goroutine group.
	htmlGroupFrames = 64
	// htmlTopFrames is how many hottest functions the CPU table lists.
	htmlTopFrames = 20
	// htmlMinFlameNodes is the smallest flame-graph budget tried when
	// shrinking the page.
	htmlMinFlameNodes = 500
)

// csp forbids every load from outside the page: no network, no plugins, no
// frames, no forms. The one inline style and script are allowed by their
// hashes; images only as data: URLs.
var csp = fmt.Sprintf("default-src 'none'; style-src '%s'; script-src '%s'; img-src data:; base-uri 'none'; form-action 'none'",
	cspHash(reportCSS), cspHash(reportJS))

func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// h escapes untrusted text for HTML text and quoted attribute values,
// after making invisible and direction-changing characters visible.
func h(s string) string { return html.EscapeString(cleanText(s)) }

// RenderHTML writes one self-contained HTML page: the verdict, findings with
// collapsible evidence, an SVG flame graph (hover, click to zoom, search), a
// GC pause timeline, goroutine groups, inventory and analyzer runs. It loads
// nothing from outside the page and stays under 5 MiB by pruning the flame
// graph, saying so on the page.
func RenderHTML(w io.Writer, r *analyze.Result, _ Options) error {
	budget := flameMaxNodes
	for {
		var b strings.Builder
		if err := renderHTMLPage(&b, r, budget); err != nil {
			return err
		}
		if b.Len() < maxHTMLBytes || budget <= htmlMinFlameNodes || r.Flame == nil {
			_, err := io.WriteString(w, b.String())
			return err
		}
		budget /= 2
	}
}

func renderHTMLPage(b *strings.Builder, r *analyze.Result, flameBudget int) error {
	title := "coroner report"
	if r.Incident.ID != "" {
		title += ": " + r.Incident.ID
	}
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	fmt.Fprintf(b, "<meta http-equiv=\"Content-Security-Policy\" content=\"%s\">\n", csp)
	b.WriteString("<meta name=\"referrer\" content=\"no-referrer\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	fmt.Fprintf(b, "<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n", h(title), reportCSS)
	htmlVerdict(b, r)
	b.WriteString(`<nav><a href="#findings">Findings</a><a href="#cpu">CPU</a><a href="#pauses">GC pauses</a><a href="#goroutines">Goroutines</a><a href="#inventory">Inventory</a><a href="#analyzers">Analyzers</a></nav>` + "\n")
	htmlFindings(b, r)
	htmlSource(b, r)
	layout := layoutFlame(r.Flame, flameBudget)
	htmlFlame(b, r, layout)
	htmlPauses(b, r.Pauses)
	htmlGroupsSection(b, r.Goroutines)
	htmlInventory(b, r.Inventory)
	htmlAnalyzers(b, r.Analyzers, r.Warnings)
	fmt.Fprintf(b, "<footer>%s · schema v%d", h(orDash(r.Tool)), r.SchemaVersion)
	if r.Incident.ArchiveDigest != "" {
		fmt.Fprintf(b, " · archive <code>%s</code>", h(r.Incident.ArchiveDigest))
	}
	b.WriteString("</footer>\n")
	data, err := pageData(layout, r.FlameUnit)
	if err != nil {
		return err
	}
	fmt.Fprintf(b, "<script type=\"application/json\" id=\"coroner-data\">%s</script>\n", data)
	fmt.Fprintf(b, "<script>%s</script>\n</body>\n</html>\n", reportJS)
	return nil
}

// pageData is the JSON the script reads: the flame graph's nodes. Go's
// encoder escapes <, >, & and U+2028/U+2029, so no string can end the
// script element or break a JavaScript parser.
func pageData(l *flameLayout, unit string) ([]byte, error) {
	type flameData struct {
		Width     int        `json:"width"`
		CharWidth float64    `json:"char_width"`
		Pad       int        `json:"pad"`
		Total     int64      `json:"total"`
		Unit      string     `json:"unit"`
		Names     []string   `json:"names"`
		Nodes     [][4]int64 `json:"nodes"`
	}
	var d struct {
		Flame *flameData `json:"flame,omitempty"`
	}
	if unit != "ns" && unit != "samples" {
		unit = "" // the script knows only these
	}
	if l != nil {
		fd := &flameData{Width: flameWidth, CharWidth: flameCharWidth, Pad: flamePad, Total: l.Total, Unit: unit, Names: l.Names}
		fd.Nodes = make([][4]int64, len(l.Nodes))
		for i, n := range l.Nodes {
			fd.Nodes[i] = [4]int64{int64(n.Name), n.Value, int64(n.Depth), n.X}
		}
		d.Flame = fd
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("encoding page data: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func sevClass(s analyze.Severity) string {
	switch s {
	case analyze.Critical:
		return "sev-critical"
	case analyze.Warning:
		return "sev-warning"
	}
	return "sev-info"
}

func htmlVerdict(b *strings.Builder, r *analyze.Result) {
	v := r.Verdict
	fmt.Fprintf(b, "<header class=\"verdict %s\">\n", sevClass(v.Severity))
	fmt.Fprintf(b, "<h1>Verdict: <code>%s</code> <span class=\"sev\">%s</span> · confidence %s</h1>\n",
		h(orDash(v.Cause)), h(v.Severity.String()), formatPercent(v.Confidence))
	if v.Headline != "" {
		fmt.Fprintf(b, "<p class=\"headline\">%s</p>\n", h(v.Headline))
	}
	b.WriteString("<dl class=\"facts\">\n")
	fact := func(k, val string) { fmt.Fprintf(b, "<dt>%s</dt><dd>%s</dd>\n", k, val) }
	if r.Incident.ID != "" {
		fact("Incident", "<code>"+h(r.Incident.ID)+"</code>"+optText(" — ", r.Incident.Title))
	}
	if !r.Incident.Time.IsZero() {
		fact("Time", h(r.Incident.Time.UTC().Format(time.RFC3339)))
	}
	if len(r.Incident.Labels) > 0 {
		var ls []string
		for _, k := range sortedKeys(r.Incident.Labels) {
			ls = append(ls, "<code>"+h(k+"="+r.Incident.Labels[k])+"</code>")
		}
		fact("Labels", strings.Join(ls, " "))
	}
	if v.Culprit != nil {
		fact("Culprit", "<code>"+h(v.Culprit.String())+"</code>")
	}
	if v.FindingID != "" {
		fact("Primary finding", "<code>"+h(v.FindingID)+"</code>")
	}
	if len(v.Secondary) > 0 {
		var ids []string
		for _, s := range v.Secondary {
			ids = append(ids, "<code>"+h(s)+"</code>")
		}
		fact("Contributing", strings.Join(ids, " "))
	}
	if v.Signature != "" {
		fact("Signature", fmt.Sprintf("<code>%s</code> (algorithm v%d)", h(v.Signature), v.SignatureVersion))
	}
	if i := primaryIndex(r); i >= 0 && r.Findings[i].Remedy != "" {
		fact("Remedy", h(r.Findings[i].Remedy))
	}
	b.WriteString("</dl>\n")
	if len(v.Chain) > 0 {
		b.WriteString("<ol class=\"chain\">\n")
		for _, c := range v.Chain[:min(len(v.Chain), chainShown)] {
			fmt.Fprintf(b, "<li>%s</li>\n", h(c))
		}
		b.WriteString("</ol>\n")
		if len(v.Chain) > chainShown {
			fmt.Fprintf(b, "<details class=\"chain\"><summary>%d more links of the evidence chain</summary>\n<ol start=\"%d\">\n", len(v.Chain)-chainShown, chainShown+1)
			for _, c := range v.Chain[chainShown:] {
				fmt.Fprintf(b, "<li>%s</li>\n", h(c))
			}
			b.WriteString("</ol>\n</details>\n")
		}
	}
	b.WriteString("</header>\n")
}

func optText(sep, s string) string {
	if s == "" {
		return ""
	}
	return sep + h(s)
}

func htmlFindings(b *strings.Builder, r *analyze.Result) {
	b.WriteString("<section id=\"findings\">\n<h2>Findings</h2>\n")
	if len(r.Findings) == 0 {
		b.WriteString("<p class=\"note\">No findings.</p>\n</section>\n")
		return
	}
	b.WriteString("<table><thead><tr><th class=\"num\">#</th><th>Severity</th><th class=\"num\">Confidence</th><th>Cause</th><th>Finding</th><th>Culprit</th></tr></thead><tbody>\n")
	for i, f := range r.Findings {
		culprit := ""
		if f.Culprit != nil {
			culprit = "<code>" + h(f.Culprit.String()) + "</code>"
		}
		fmt.Fprintf(b, "<tr><td class=\"num\"><a href=\"#finding-%d\">%d</a></td><td><span class=\"sev %s\">%s</span></td><td class=\"num\">%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
			i+1, i+1, sevClass(f.Severity), h(f.Severity.String()), formatPercent(f.Confidence), codeOrEmpty(f.Cause), h(f.Title), culprit)
	}
	b.WriteString("</tbody></table>\n")
	prim := primaryIndex(r)
	for i, f := range r.Findings {
		open := ""
		if i == prim || (prim < 0 && i == 0) {
			open = " open"
		}
		fmt.Fprintf(b, "<details id=\"finding-%d\" class=\"finding\"%s><summary>%d. %s <span class=\"sev %s\">%s</span> · confidence %s</summary>\n",
			i+1, open, i+1, h(orDash(f.Title)), sevClass(f.Severity), h(f.Severity.String()), formatPercent(f.Confidence))
		impact := ""
		if f.Impact > 0 {
			impact = " · impact " + formatPercent(f.Impact)
		}
		fmt.Fprintf(b, "<p class=\"note\"><code>%s</code>%s · analyzer <code>%s</code> %s</p>\n", h(f.ID), impact, h(f.Analyzer), h(f.Version))
		if f.Culprit != nil {
			fmt.Fprintf(b, "<p>Culprit: <code>%s</code></p>\n", h(f.Culprit.String()))
		}
		if f.Signature != "" {
			fmt.Fprintf(b, "<p>Signature: <code>%s</code></p>\n", h(f.Signature))
		}
		if f.Summary != "" {
			fmt.Fprintf(b, "<p>%s</p>\n", h(f.Summary))
		}
		if len(f.Evidence) > 0 {
			b.WriteString("<table><thead><tr><th>Metric</th><th class=\"num\">Value</th><th class=\"num\">Threshold</th><th>Source artifact</th><th>Note</th></tr></thead><tbody>\n")
			for _, e := range f.Evidence {
				val, thr := evidenceCells(e, htmlValue, h)
				fmt.Fprintf(b, "<tr><td><code>%s</code></td><td class=\"num\">%s</td><td class=\"num\">%s</td><td><code>%s</code></td><td>%s</td></tr>\n",
					h(e.Metric), val, thr, h(e.Artifact), h(e.Note))
			}
			b.WriteString("</tbody></table>\n")
		}
		if f.Remedy != "" {
			fmt.Fprintf(b, "<p><strong>Remedy:</strong> %s</p>\n", h(f.Remedy))
		}
		for _, s := range f.Stacks {
			fmt.Fprintf(b, "<h3>%s", h(orDash(s.Title)))
			if s.Count > 0 {
				b.WriteString(" — " + htmlValue(float64(s.Count), s.Unit))
			}
			b.WriteString("</h3>\n")
			htmlPre(b, capFrames(s.Frames, mdStackFrames))
		}
		b.WriteString("</details>\n")
	}
	b.WriteString("</section>\n")
}

func htmlValue(v float64, unit string) string {
	s, ok := formatValueUnit(v, unit)
	if !ok {
		return h(s + " " + unit)
	}
	return h(s)
}

func htmlPre(b *strings.Builder, lines []string) {
	b.WriteString("<pre>")
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(h(l))
	}
	b.WriteString("</pre>\n")
}

// htmlSection opens the section id with its heading and reports whether
// it has content to show; without, it closes the section with note.
func htmlSection(b *strings.Builder, id, title string, has bool, note string) bool {
	fmt.Fprintf(b, "<section id=\"%s\">\n<h2>%s</h2>\n", id, title)
	if !has {
		fmt.Fprintf(b, "<p class=\"note\">%s</p>\n</section>\n", note)
	}
	return has
}

func htmlFlame(b *strings.Builder, r *analyze.Result, l *flameLayout) {
	if !htmlSection(b, "cpu", "CPU flame graph", l != nil, "No CPU profile in this incident.") {
		return
	}
	fmt.Fprintf(b, "<p class=\"note\">Merged CPU profile, %s in total; callers on top, callees below, siblings by name. Hover a frame for details, click to zoom, click again to zoom out.</p>\n", flameAmount(l.Total, r.FlameUnit))
	b.WriteString(`<div class="controls"><input type="search" id="flame-search" placeholder="Search functions" aria-label="Search functions"><button type="button" id="flame-reset">Reset zoom</button><span id="flame-match" class="note"></span></div>` + "\n")
	b.WriteString("<div id=\"flame-detail\" aria-live=\"polite\"></div>\n")
	l.svg(b)
	if l.Pruned > 0 {
		fmt.Fprintf(b, "<p class=\"note\">%d nodes narrower than %s px (%s of samples) are not drawn; the JSON report keeps the whole tree.</p>\n",
			l.Pruned, strings.TrimRight(strings.TrimRight(fnum(l.MinWidth), "0"), "."), share(l.PrunedVal, l.Total))
	}
	top, total := topFrames(r.Flame, htmlTopFrames)
	b.WriteString("<h3>Hot functions</h3>\n<table><thead><tr><th>Function</th><th class=\"num\">Self</th><th class=\"num\">Self %</th><th class=\"num\">Cumulative %</th></tr></thead><tbody>\n")
	for _, t := range top {
		fmt.Fprintf(b, "<tr><td><code>%s</code></td><td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td></tr>\n",
			h(truncateRunes(t.Name, flameMaxName)), flameAmount(t.Self, r.FlameUnit), share(t.Self, total), share(t.Total, total))
	}
	b.WriteString("</tbody></table>\n</section>\n")
}

func htmlPauses(b *strings.Builder, ps []analyze.Pause) {
	if !htmlSection(b, "pauses", "GC and stop-the-world pauses", len(ps) > 0, "No execution trace or gctrace log in this incident.") {
		return
	}
	stats := pauseStats(ps)
	colors := pauseColors(stats)
	timelineSVG(b, ps, colors)
	b.WriteString("<table><thead><tr><th>Kind</th><th class=\"num\">Count</th><th class=\"num\">Total</th><th class=\"num\">Max</th><th class=\"num\">p50</th><th class=\"num\">p99</th><th>Sources</th></tr></thead><tbody>\n")
	for _, s := range stats {
		var src []string
		for _, x := range s.Sources {
			src = append(src, "<code>"+h(x)+"</code>")
		}
		swatch := ""
		if c, ok := colors[s.Kind]; ok && (s.Kind != "all" || len(stats) == 1) {
			swatch = fmt.Sprintf(`<svg class="swatch" width="10" height="10" viewBox="0 0 10 10"><rect width="10" height="10" fill="%s"/></svg> `, c)
		}
		fmt.Fprintf(b, "<tr><td>%s%s</td><td class=\"num\">%d</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td>%s</td></tr>\n",
			swatch, h(s.Kind), s.Count, formatDuration(s.Total), formatDuration(s.Max), formatDuration(s.P50), formatDuration(s.P99), strings.Join(src, " "))
	}
	b.WriteString("</tbody></table>\n</section>\n")
}

func htmlGroupsSection(b *strings.Builder, gs []analyze.Group) {
	if !htmlSection(b, "goroutines", "Goroutine groups", len(gs) > 0, "No goroutine census in this incident.") {
		return
	}
	total := 0
	for _, g := range gs {
		total += g.Count
	}
	fmt.Fprintf(b, "<p>%d goroutines in %d groups of identical stacks.", total, len(gs))
	if len(gs) > htmlGroups {
		fmt.Fprintf(b, " The %d largest groups are shown; the JSON report lists all.", htmlGroups)
	}
	b.WriteString("</p>\n")
	for _, g := range gs[:min(len(gs), htmlGroups)] {
		top := telling(g.Frames)
		fmt.Fprintf(b, "<details class=\"group\"><summary>%d × %s", g.Count, h(orDash(g.Status)))
		if g.WaitReason != "" {
			fmt.Fprintf(b, " (%s", h(g.WaitReason))
			if g.MaxWaitMin > 0 {
				fmt.Fprintf(b, ", up to %d min", g.MaxWaitMin)
			}
			b.WriteString(")")
		}
		if g.System {
			b.WriteString(" · runtime")
		}
		fmt.Fprintf(b, " — <code>%s</code></summary>\n", h(truncateRunes(top, flameMaxName)))
		frames := capFrames(g.Frames, htmlGroupFrames)
		if g.CreatedBy != "" {
			frames = append(frames[:len(frames):len(frames)], "created by "+g.CreatedBy)
		}
		htmlPre(b, frames)
		b.WriteString("</details>\n")
	}
	b.WriteString("</section>\n")
}

func htmlInventory(b *strings.Builder, items []analyze.Item) {
	b.WriteString("<section id=\"inventory\">\n<h2>Inventory</h2>\n")
	if len(items) == 0 {
		b.WriteString("<p class=\"note\">No artifacts listed.</p>\n</section>\n")
		return
	}
	b.WriteString("<table><thead><tr><th>Artifact</th><th>Kind</th><th class=\"num\">Size</th><th>Build ID</th><th>SHA-256</th></tr></thead><tbody>\n")
	for _, it := range items {
		fmt.Fprintf(b, "<tr><td><code>%s</code></td><td>%s</td><td class=\"num\">%s</td><td><code>%s</code></td><td><code title=\"%s\">%s</code></td></tr>\n",
			h(it.Path), h(it.Kind), formatBytes(float64(it.Size)), h(it.BuildID), h(it.SHA256), h(shortHash(it.SHA256)))
	}
	b.WriteString("</tbody></table>\n</section>\n")
}

func htmlAnalyzers(b *strings.Builder, runs []analyze.Run, warnings []string) {
	b.WriteString("<section id=\"analyzers\">\n<h2>Analyzer runs</h2>\n")
	if len(runs) > 0 {
		b.WriteString("<table><thead><tr><th>Analyzer</th><th>Version</th><th>Status</th><th>Used</th><th>Error</th></tr></thead><tbody>\n")
		for _, a := range runs {
			var used []string
			for _, u := range a.Used {
				used = append(used, "<code>"+h(u)+"</code>")
			}
			fmt.Fprintf(b, "<tr><td><code>%s</code></td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
				h(a.Name), h(a.Version), h(a.Status), strings.Join(used, " "), h(a.Error))
		}
		b.WriteString("</tbody></table>\n")
	}
	if len(warnings) > 0 {
		b.WriteString("<h3>Warnings</h3>\n<ul>\n")
		for _, w := range warnings {
			fmt.Fprintf(b, "<li>%s</li>\n", h(w))
		}
		b.WriteString("</ul>\n")
	}
	b.WriteString("</section>\n")
}

// codeOrEmpty shows s as code, or nothing when s is empty.
func codeOrEmpty(s string) string {
	if s == "" {
		return ""
	}
	return "<code>" + h(s) + "</code>"
}
