package reports

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/coroner/coroner/analyze"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/cases")

// goldenVariants are the renderings checked per case, named after the
// options that produce them.
var goldenVariants = []struct {
	file   string
	render func(*bytes.Buffer, *analyze.Result) error
}{
	{"report.md", func(b *bytes.Buffer, r *analyze.Result) error { return RenderMarkdown(b, r, Options{}) }},
	{"report.maxbytes4096.md", func(b *bytes.Buffer, r *analyze.Result) error { return RenderMarkdown(b, r, Options{MaxBytes: 4096}) }},
	{"report.html", func(b *bytes.Buffer, r *analyze.Result) error { return RenderHTML(b, r, Options{}) }},
	{"report.json", func(b *bytes.Buffer, r *analyze.Result) error { return RenderJSON(b, r, Options{}) }},
	{"terminal.txt", func(b *bytes.Buffer, r *analyze.Result) error { return Terminal(b, r) }},
}

// loadCase reads testdata/cases/<name>/result.json through ReadResult.
func loadCase(t testing.TB, dir string) *analyze.Result {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ReadResult(f)
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	return r
}

func caseDirs(t testing.TB) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("testdata", "cases", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no test cases under testdata/cases: %v", err)
	}
	return dirs
}

func TestGolden(t *testing.T) {
	for _, dir := range caseDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			r := loadCase(t, dir)
			for _, v := range goldenVariants {
				var got bytes.Buffer
				if err := v.render(&got, r); err != nil {
					t.Fatalf("%s: %v", v.file, err)
				}
				if filepath.Ext(v.file) == ".md" {
					checkMarkdownHTML(t, renderGFM(t, got.Bytes()))
				}
				path := filepath.Join(dir, "golden", v.file)
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./reports -update)", err)
				}
				if !bytes.Equal(got.Bytes(), want) {
					t.Errorf("%s differs from %s (run go test ./reports -update and review the diff)\n%s",
						v.file, path, firstDiff(got.Bytes(), want))
				}
			}
		})
	}
}

// TestDeterministic renders each case twice, and again after a JSON round
// trip, and demands identical bytes.
func TestDeterministic(t *testing.T) {
	for _, dir := range caseDirs(t) {
		r := loadCase(t, dir)
		var js bytes.Buffer
		if err := RenderJSON(&js, r, Options{}); err != nil {
			t.Fatal(err)
		}
		r2, err := ReadResult(bytes.NewReader(js.Bytes()))
		if err != nil {
			t.Fatalf("re-reading rendered JSON: %v", err)
		}
		for _, v := range goldenVariants {
			var a, b, c bytes.Buffer
			if err := v.render(&a, r); err != nil {
				t.Fatal(err)
			}
			if err := v.render(&b, r); err != nil {
				t.Fatal(err)
			}
			if err := v.render(&c, r2); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Errorf("%s/%s: two renderings differ\n%s", dir, v.file, firstDiff(a.Bytes(), b.Bytes()))
			}
			if !bytes.Equal(a.Bytes(), c.Bytes()) {
				t.Errorf("%s/%s: rendering after JSON round trip differs\n%s", dir, v.file, firstDiff(a.Bytes(), c.Bytes()))
			}
		}
	}
}

// firstDiff shows the first differing line of two outputs.
func firstDiff(got, want []byte) string {
	g := bytes.Split(got, []byte("\n"))
	w := bytes.Split(want, []byte("\n"))
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl []byte
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if !bytes.Equal(gl, wl) {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + trim(gl) + "\nwant: " + trim(wl)
		}
	}
	return "(same lines)"
}

func trim(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}
