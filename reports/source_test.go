package reports

import (
	"bytes"
	"html"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/coroner/coroner/analyze"
)

// fenceBreakers are source lines that try to end a Markdown fence or an
// HTML <pre>, or hide what follows them.
var fenceBreakers = []string{
	"```````````",
	"~~~~",
	"\t```` go",
	"</pre><script>alert(5)</script>",
	"</code></pre><img src=x onerror=alert(6)>",
	"\tif isAdmin /*\u202e } \u2066if (isAdmin)\u2069 \u2066 begin admins only */ {",
	"@all see [x](javascript:alert(7)) <https://evil.example>",
}

// sourceResult is the hostile golden case with source listings of
// fenceBreakers and line samples, whose other strings are hostile too.
func sourceResult(t testing.TB) *analyze.Result {
	t.Helper()
	r := hostileResult(t)
	r.Lines = &analyze.LineSamples{
		Kinds: []analyze.SampleKind{{Name: "x", Unit: "y", Sources: []string{"z"}}},
		Build: &analyze.BuildInfo{MainPath: "m", Modules: []analyze.Module{{Path: "p", Replace: &analyze.Module{Path: "q"}}}},
		Hot:   []analyze.HotLine{{Kind: "k", Function: "f", File: "g", Line: 2, Value: 1}},
		Files: []analyze.FileSamples{{File: "f", Lines: []analyze.LineSample{{Line: 2, Values: map[string]analyze.LineValues{"k": {Flat: 1, Cum: 2}}}}}},
	}
	r.Source = &analyze.SourceView{Roots: []string{"r"}, Context: 2, Warnings: []string{"w"},
		Listings: []analyze.Listing{{File: "f", Path: "p", Root: "r", Stale: []string{"s"},
			Targets: []analyze.Target{{Line: 3, Function: "fn", FindingID: "id"}, {Line: 40, Function: "fn", HotKind: "k"}}}}}
	i := 0
	next := func() string { s := hostileStrings[i%len(hostileStrings)]; i++; return s }
	fillStrings(reflect.ValueOf(r.Lines).Elem(), next)
	fillStrings(reflect.ValueOf(r.Source).Elem(), next)
	r.Lines.Kinds = append(r.Lines.Kinds, analyze.SampleKind{Name: analyze.SampleCPU, Unit: "ns", Total: 9, Sources: []string{"perf.data"}})
	l := &r.Source.Listings[0]
	for n, text := range fenceBreakers {
		l.Lines = append(l.Lines, analyze.SourceLine{Line: n + 1, Text: text, Target: n == 2,
			Values: map[string]analyze.LineValues{analyze.SampleCPU: {Flat: int64(n) * 1e6, Cum: int64(n) * 3e6}, next(): {Cum: 1}}})
	}
	// A second window, after a gap.
	l.Lines = append(l.Lines, analyze.SourceLine{Line: 40, Text: "```", Target: true})
	return r
}

func TestSourceMarkdownStaysInert(t *testing.T) {
	r := sourceResult(t)
	var md bytes.Buffer
	if err := RenderMarkdown(&md, r, Options{}); err != nil {
		t.Fatal(err)
	}
	checkNoRawControls(t, "markdown", md.String())
	page := renderGFM(t, md.Bytes())
	checkMarkdownHTML(t, page)
	// Every source line sits inside one code block: the fence is longer
	// than any backtick run, so no line of source closes it.
	blocks := regexp.MustCompile("(?s)<pre><code[^>]*>(.*?)</code></pre>").FindAllStringSubmatch(page, -1)
	var listing string
	for _, b := range blocks {
		if strings.Contains(b[1], "cpu flat") {
			listing = html.UnescapeString(b[1])
		}
	}
	if listing == "" {
		t.Fatalf("no listing block in the rendered Markdown")
	}
	for _, text := range fenceBreakers {
		want := cleanText(expandTabs(text))
		if !strings.Contains(listing, want) {
			t.Errorf("line %q is not inside the listing's code block:\n%s", want, listing)
		}
	}
	if !strings.Contains(listing, "→ 3") || !strings.Contains(listing, "⋮") || !strings.Contains(listing, "2ms") {
		t.Errorf("listing lacks the target mark, the gap or a value:\n%s", listing)
	}
}

func TestSourceHTMLStaysInert(t *testing.T) {
	r := sourceResult(t)
	var out bytes.Buffer
	if err := RenderHTML(&out, r, Options{}); err != nil {
		t.Fatal(err)
	}
	page := out.String()
	checkPage(t, page)
	i := strings.Index(page, `<section id="source">`)
	if i < 0 {
		t.Fatal("no source section")
	}
	sec := page[i : i+strings.Index(page[i:], "</section>")]
	if !strings.Contains(sec, "<strong>") || !strings.Contains(sec, html.EscapeString("</pre><script>alert(5)</script>")) {
		t.Errorf("source section lacks a marked target or the escaped line:\n%s", sec)
	}
}

func TestSourceJSONFollowsSchema(t *testing.T) {
	r := sourceResult(t)
	var out bytes.Buffer
	if err := RenderJSON(&out, r, Options{}); err != nil {
		t.Fatal(err)
	}
	back, err := ReadResult(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Source, r.Source) || !reflect.DeepEqual(back.Lines, r.Lines) {
		t.Errorf("source and line samples do not round-trip")
	}
	bad := bytes.Replace(out.Bytes(), []byte(`"context": 2`), []byte(`"context": -1`), 1)
	if err := ValidateJSON(bad); err == nil {
		t.Error("a negative context follows the schema")
	}
}
