package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMaxBytes(t *testing.T) {
	r := loadCase(t, filepath.Join("testdata", "cases", "lockwait"))
	var full bytes.Buffer
	if err := RenderMarkdown(&full, r, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, max := range []int{65536, full.Len(), full.Len() - 1, 6000, 4096, 2500} {
		var out bytes.Buffer
		if err := RenderMarkdown(&out, r, Options{MaxBytes: max}); err != nil {
			t.Fatalf("max %d: %v", max, err)
		}
		s := out.String()
		if len(s) > max {
			t.Errorf("max %d: report is %d bytes", max, len(s))
		}
		if !strings.HasPrefix(s, "# coroner report") || !strings.Contains(s, `## Verdict: lock\_wait`) {
			t.Errorf("max %d: verdict missing", max)
		}
		cut := strings.Contains(s, "**Cut to fit")
		if cut != (max < full.Len()) {
			t.Errorf("max %d (full %d): cut note present = %v", max, full.Len(), cut)
		}
		if !utf8.ValidString(s) {
			t.Errorf("max %d: invalid UTF-8", max)
		}
		checkMarkdownHTML(t, renderGFM(t, out.Bytes()))
	}
	// The findings table outlives the details and the inventory.
	var out bytes.Buffer
	if err := RenderMarkdown(&out, r, Options{MaxBytes: 4096}); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "## Findings") || strings.Contains(s, "## Goroutine groups") {
		t.Errorf("4096-byte report kept the wrong sections:\n%s", s)
	}
	if err := RenderMarkdown(&out, r, Options{MaxBytes: 200}); err == nil || !strings.Contains(err.Error(), "too small") {
		t.Errorf("a 200-byte limit: err = %v, want too small", err)
	}
}

func TestWriteAll(t *testing.T) {
	r := loadCase(t, filepath.Join("testdata", "cases", "lockwait"))
	dir := filepath.Join(t.TempDir(), "out")
	paths, err := WriteAll(dir, r, []string{"json", "md", "html"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"report.json", "report.md", "report.html"}
	for i, p := range paths {
		if filepath.Base(p) != want[i] {
			t.Errorf("path %d = %s, want %s", i, p, want[i])
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		golden, err := os.ReadFile(filepath.Join("testdata", "cases", "lockwait", "golden", want[i]))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, golden) {
			t.Errorf("%s differs from its golden file", p)
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 3 {
		t.Errorf("dir holds %d entries, want 3 (no temporary files left)", len(ents))
	}
	if _, err := WriteAll(dir, r, []string{"pdf"}, Options{}); err == nil {
		t.Error("unknown format accepted")
	}
	if _, err := ParseFormats("md, html,md"); err != nil {
		t.Error(err)
	}
	if _, err := ParseFormats("md,docx"); err == nil || !strings.Contains(err.Error(), "docx") {
		t.Errorf("ParseFormats(md,docx) = %v", err)
	}
}

func TestReadResultErrors(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "cases", "lockwait", "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, in, want string }{
		{"empty", "", "result is empty"},
		{"syntax", `{"schema_version": 1,}`, "offset 0x"},
		{"not a result", `{"hello": 1}`, "no schema_version"},
		{"newer", `{"schema_version": 7}`, "schema_version 7 is not supported"},
		{"schema", `{"schema_version": 1, "tool": "x"}`, "does not follow the result schema"},
		{"type", strings.Replace(string(good), `"schema_version": 1`, `"schema_version": "1"`, 1), "offset 0x"},
		{"truncated", string(good[:len(good)/2]), "JSON"},
	} {
		_, err := ReadResult(strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

func TestMdCode(t *testing.T) {
	for _, s := range []string{"plain", "a`b", "``x``", "`", " ` ", "x ", "@all", "a|b"} {
		c := mdCode(s)
		html := renderGFM(t, []byte(c))
		if !strings.HasPrefix(html, "<p><code>") || strings.Count(html, "<code>") != 1 {
			t.Errorf("mdCode(%q) = %s renders as %s", s, c, html)
		}
	}
}

// FuzzReadResult feeds arbitrary bytes, seeded with real results, to
// ReadResult and renders whatever it accepts: nothing may panic.
func FuzzReadResult(f *testing.F) {
	for _, dir := range caseDirs(f) {
		b, err := os.ReadFile(filepath.Join(dir, "result.json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"schema_version":1,"tool":"","incident":{"id":"","archive_digest":""},"verdict":{"cause":"","headline":"","severity":"info","confidence":0},"findings":[],"inventory":[],"analyzers":[],"flame":{"name":"","value":5,"children":[{"name":"a","value":9}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ReadResult(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, name := range FormatNames() {
			var out bytes.Buffer
			if err := Formats[name].Render(&out, r, Options{MaxBytes: 8192}); err != nil && name != "md" {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if err := Terminal(&bytes.Buffer{}, r); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzMarkdownText checks that any string shown by mdCode renders as one
// code span holding exactly the cleaned text.
func FuzzMarkdownText(f *testing.F) {
	for _, s := range hostileStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := mdCode(s)
		if c == "" {
			return
		}
		html := renderGFM(t, []byte(c))
		if !strings.HasPrefix(html, "<p><code>") || !strings.HasSuffix(html, "</code></p>\n") || strings.Count(html, "<code>") != 1 {
			t.Fatalf("mdCode(%q) = %q renders as %q", s, c, html)
		}
	})
}
