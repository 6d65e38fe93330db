package reports

import (
	"bytes"
	"encoding/json"
	stdhtml "html"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/internal/hostile"
)

// hostileStrings is the shared hostile payload (internal/hostile).
var hostileStrings = hostile.Strings

// hostileResult is the golden case with every string, map key and flame
// name replaced by a hostile string; enumerations the schema fixes keep
// valid values.
func hostileResult(t testing.TB) *analyze.Result {
	t.Helper()
	r := loadCase(t, filepath.Join("testdata", "cases", "lockwait"))
	r.Verdict.Chain = make([]string, chainShown+4) // long enough to fold
	i := 0
	next := func() string { s := hostileStrings[i%len(hostileStrings)]; i++; return s }
	fillStrings(reflect.ValueOf(r).Elem(), next)
	r.Verdict.Cause = analyze.CauseLockWait
	r.FlameUnit = "ns"
	for k := range r.Findings {
		r.Findings[k].Cause = analyze.CauseLockWait
	}
	for k := range r.Analyzers {
		r.Analyzers[k].Status = "failed"
	}
	return r
}

// fillStrings sets every string reachable from v (fields, slices, maps
// including keys, pointers) to next().
func fillStrings(v reflect.Value, next func() string) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString(next())
		}
	case reflect.Pointer:
		if !v.IsNil() {
			fillStrings(v.Elem(), next)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fillStrings(v.Field(i), next)
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			fillStrings(v.Index(i), next)
		}
	case reflect.Map:
		if v.Type().Key().Kind() == reflect.String && v.Type().Elem().Kind() == reflect.String {
			m := reflect.MakeMap(v.Type())
			for range v.Len() {
				m.SetMapIndex(reflect.ValueOf(next()), reflect.ValueOf(next()))
			}
			v.Set(m)
		}
	}
}

// allStrings lists every string reachable from v in a deterministic order.
func allStrings(v reflect.Value) []string {
	var out []string
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.String:
			out = append(out, v.String())
		case reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i))
			}
		case reflect.Map:
			for _, k := range sortedKeys(v.Interface().(map[string]string)) {
				out = append(out, k, v.MapIndex(reflect.ValueOf(k)).String())
			}
		}
	}
	walk(v)
	return out
}

// mentionRe matches what GitHub and GitLab turn into a mention or a
// reference to a user or team: "@" and a name, not preceded by a word
// character.
var mentionRe = regexp.MustCompile(`(^|[^A-Za-z0-9_])@[A-Za-z0-9]`)

// literalInText are hostile strings that escaped prose must show exactly
// as they are, as text, where a Markdown renderer would otherwise make a
// link, an image, emphasis or a heading of them.
var literalInText = []string{
	"<script>alert(1)</script>",
	"[x](javascript:alert(3))",
	"![img](https://evil.example/p.png)",
	"https://evil.example/steal?x=1 www.evil.example",
	"&amp; &lt; &#x3c;",
	"a|b||c \\| d",
}

func TestHostileMarkdown(t *testing.T) {
	r := hostileResult(t)
	for _, max := range []int{0, 8192} {
		var md bytes.Buffer
		if err := RenderMarkdown(&md, r, Options{MaxBytes: max}); err != nil {
			t.Fatal(err)
		}
		checkNoRawControls(t, "markdown", md.String())
		html := renderGFM(t, md.Bytes())
		checkMarkdownHTML(t, html)
		if max == 0 {
			checkLiteralText(t, html)
		}
	}
}

// checkLiteralText demands that the hostile strings escaped as prose show
// in the rendered page as the very text they are.
func checkLiteralText(t *testing.T, html string) {
	t.Helper()
	outside := preRe.ReplaceAllString(codeRe.ReplaceAllString(html, ""), "")
	text := stdhtml.UnescapeString(tagRe.ReplaceAllString(outside, ""))
	for _, want := range literalInText {
		if !strings.Contains(text, want) {
			t.Errorf("rendered markdown does not show %q as text", want)
		}
	}
}

// renderGFM renders Markdown the way GitHub-flavoured hosts do, letting raw
// HTML through (hosts allow <details>), so any leak would show.
func renderGFM(t testing.TB, md []byte) string {
	t.Helper()
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(gmhtml.WithUnsafe()))
	var out bytes.Buffer
	if err := gm.Convert(md, &out); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

var (
	tagRe      = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>`)
	codeRe     = regexp.MustCompile(`(?s)<code>.*?</code>`)
	preRe      = regexp.MustCompile(`(?s)<pre>.*?</pre>`)
	tableRe    = regexp.MustCompile(`(?s)<table>.*?</table>`)
	rowRe      = regexp.MustCompile(`(?s)<tr>.*?</tr>`)
	cellOpenRe = regexp.MustCompile(`<t[hd][ >]`)
)

// attrRe matches one attribute; values are always double-quoted and
// escaped, so they hold no quote.
var attrRe = regexp.MustCompile(`\s([a-zA-Z][a-zA-Z0-9:_-]*)(?:="([^"]*)")?`)

// pageTags are the only elements the HTML report may contain.
var pageTags = map[string]bool{
	"html": true, "head": true, "meta": true, "title": true, "style": true, "body": true, "header": true,
	"h1": true, "h2": true, "h3": true, "p": true, "dl": true, "dt": true, "dd": true, "ol": true, "ul": true,
	"li": true, "nav": true, "a": true, "section": true, "table": true, "thead": true, "tbody": true, "tr": true,
	"th": true, "td": true, "span": true, "code": true, "pre": true, "details": true, "summary": true,
	"strong": true, "div": true, "input": true, "button": true, "svg": true, "g": true, "rect": true,
	"text": true, "line": true, "footer": true, "script": true,
}

// startAttrRe matches the start number of an ordered list.
var startAttrRe = regexp.MustCompile(`^start="[0-9]+"$`)

// markdownTags are the only elements the Markdown report may produce.
var markdownTags = map[string]bool{
	"h1": true, "h2": true, "h3": true, "p": true, "code": true, "pre": true, "table": true, "thead": true,
	"tbody": true, "tr": true, "th": true, "td": true, "strong": true, "ul": true, "ol": true, "li": true,
	"details": true, "summary": true, "hr": true, "blockquote": true,
}

func checkMarkdownHTML(t testing.TB, html string) {
	t.Helper()
	for _, m := range tagRe.FindAllStringSubmatch(html, -1) {
		if !markdownTags[m[2]] {
			t.Errorf("markdown produced element <%s%s>", m[2], m[3])
		}
		if attrs := strings.TrimSpace(m[3]); attrs != "" && !strings.HasPrefix(attrs, `style="text-align:`) && !strings.HasPrefix(attrs, `class="language-text"`) && !startAttrRe.MatchString(attrs) {
			t.Errorf("markdown produced attributes %q on <%s>", attrs, m[2])
		}
	}
	outside := preRe.ReplaceAllString(codeRe.ReplaceAllString(html, ""), "")
	text := stdhtml.UnescapeString(tagRe.ReplaceAllString(outside, " "))
	if m := mentionRe.FindStringIndex(text); m != nil {
		t.Errorf("markdown shows a mention outside code: …%s…", text[max(0, m[0]-80):min(len(text), m[1]+80)])
	}
	for _, tbl := range tableRe.FindAllString(html, -1) {
		rows := rowRe.FindAllString(tbl, -1)
		want := len(cellOpenRe.FindAllString(rows[0], -1))
		for _, row := range rows[1:] {
			if got := len(cellOpenRe.FindAllString(row, -1)); got != want {
				t.Errorf("table row has %d cells, header %d: %s", got, want, row)
			}
		}
	}
}

func checkNoRawControls(t testing.TB, where, s string) {
	t.Helper()
	for _, bad := range []string{"\x1b", "\x07", "\u202e", "\u2066", "\u2069", "\u200f", "\u2028", "\u2029"} {
		if strings.Contains(s, bad) {
			t.Errorf("%s output contains raw %+q", where, bad)
		}
	}
}

func TestHostileHTML(t *testing.T) {
	r := hostileResult(t)
	var out bytes.Buffer
	if err := RenderHTML(&out, r, Options{}); err != nil {
		t.Fatal(err)
	}
	page := out.String()
	checkPage(t, page)
	data := scriptData(t, page)
	if strings.ContainsAny(data, "<>") {
		t.Errorf("page data holds raw < or >")
	}
	var d struct {
		Flame struct{ Names []string } `json:"flame"`
	}
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		t.Fatalf("page data is not JSON: %v", err)
	}
	if len(d.Flame.Names) == 0 {
		t.Fatal("page data has no flame names")
	}
	for _, n := range d.Flame.Names {
		if n != cleanText(n) {
			t.Errorf("flame name %q reaches the script uncleaned", n)
		}
	}
}

// checkPage demands that a rendered page holds only the elements and
// attributes the renderer writes, exactly two scripts, and no raw
// direction or control characters.
func checkPage(t testing.TB, page string) {
	t.Helper()
	checkNoRawControls(t, "html", page)
	if n := strings.Count(strings.ToLower(page), "<script"); n != 2 {
		t.Errorf("page has %d <script elements, want 2 (data and code)", n)
	}
	if n := strings.Count(strings.ToLower(page), "</script"); n != 2 {
		t.Errorf("page has %d </script, want 2", n)
	}
	for _, m := range tagRe.FindAllStringSubmatch(page, -1) {
		if !pageTags[strings.ToLower(m[2])] {
			t.Errorf("page has element %s", m[0])
		}
		rest := attrRe.ReplaceAllStringFunc(m[3], func(a string) string {
			am := attrRe.FindStringSubmatch(a)
			name, val := strings.ToLower(am[1]), am[2]
			switch {
			case strings.HasPrefix(name, "on"), name == "style", name == "src", name == "srcdoc", name == "formaction":
				t.Errorf("page has attribute %s in %s", a, m[0])
			case name == "href" && !strings.HasPrefix(val, "#"):
				t.Errorf("page links outside itself: %s", m[0])
			}
			return ""
		})
		if strings.Trim(rest, " /") != "" {
			t.Errorf("page tag %s has unparsed attribute text %q", m[0], rest)
		}
	}
}

// scriptData returns the JSON inside the page's data script element.
func scriptData(t testing.TB, page string) string {
	t.Helper()
	const open = `<script type="application/json" id="coroner-data">`
	i := strings.Index(page, open)
	if i < 0 {
		t.Fatal("page has no data script")
	}
	rest := page[i+len(open):]
	j := strings.Index(rest, "</script>")
	if j < 0 {
		t.Fatal("data script is not closed")
	}
	return rest[:j]
}

func TestHostileJSON(t *testing.T) {
	r := hostileResult(t)
	var out bytes.Buffer
	if err := RenderJSON(&out, r, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := ValidateJSON(out.Bytes()); err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsAny(out.Bytes(), "<>&\u2028\u2029") {
		t.Error("JSON holds raw <, >, & or line separators; it must be safe to embed")
	}
	back, err := ReadResult(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	want, got := allStrings(reflect.ValueOf(r)), allStrings(reflect.ValueOf(back))
	if !reflect.DeepEqual(want, got) {
		t.Errorf("JSON round trip changed the strings; JSON must keep exact bytes:\nwant %q\n got %q", want, got)
	}
}

func TestHostileTerminal(t *testing.T) {
	r := hostileResult(t)
	var out bytes.Buffer
	if err := Terminal(&out, r); err != nil {
		t.Fatal(err)
	}
	checkNoRawControls(t, "terminal", out.String())
}

func TestInvalidUTF8(t *testing.T) {
	r := loadCase(t, filepath.Join("testdata", "cases", "lockwait"))
	r.Verdict.Headline = "bad \xff\xfe bytes"
	var md, page, term bytes.Buffer
	if err := RenderMarkdown(&md, r, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := RenderHTML(&page, r, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := Terminal(&term, r); err != nil {
		t.Fatal(err)
	}
	shown := map[string]string{"markdown rendered": stdhtml.UnescapeString(renderGFM(t, md.Bytes())), "html": page.String(), "terminal": term.String()}
	for name, s := range shown {
		if !strings.Contains(s, `bad \xff\xfe bytes`) {
			t.Errorf("%s does not show invalid bytes as \\xNN", name)
		}
	}
}

// FuzzHostileText puts one arbitrary string in every string field of a
// real result and checks every format keeps it inert.
func FuzzHostileText(f *testing.F) {
	for _, s := range hostileStrings {
		f.Add(s)
	}
	base := mustJSON(f, loadCase(f, filepath.Join("testdata", "cases", "lockwait")))
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ReadResult(bytes.NewReader(base))
		if err != nil {
			t.Fatal(err)
		}
		fillStrings(reflect.ValueOf(r).Elem(), func() string { return s })
		var md, page, term bytes.Buffer
		if err := RenderMarkdown(&md, r, Options{}); err != nil {
			t.Fatal(err)
		}
		checkNoRawControls(t, "markdown", md.String())
		checkMarkdownHTML(t, renderGFM(t, md.Bytes()))
		if err := RenderHTML(&page, r, Options{}); err != nil {
			t.Fatal(err)
		}
		checkPage(t, page.String())
		if err := Terminal(&term, r); err != nil {
			t.Fatal(err)
		}
		checkNoRawControls(t, "terminal", term.String())
	})
}
