// Package reports renders an analyze.Result for people and bots: Markdown for
// tickets, one self-contained HTML page with a flame graph and a GC pause
// timeline, JSON that follows a published schema, and a compact terminal
// table. Renderers are pure functions of the result: the same result gives
// the same bytes. Every string that came from the inputs is treated as
// hostile and escaped for the place it lands.
package reports

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/bundle"
)

// Options tunes rendering.
type Options struct {
	// MaxBytes caps the Markdown report's size (0 = no cap). The renderer
	// keeps the most important content and says what it cut. 65536 suits
	// ticket comments on common hosts.
	MaxBytes int
}

// Format is one output format: its file extension and its renderer.
type Format struct {
	Ext    string
	Render func(w io.Writer, r *analyze.Result, o Options) error
}

// Formats lists the file formats by name: "md", "html" and "json".
var Formats = map[string]Format{
	"md":   {Ext: ".md", Render: RenderMarkdown},
	"html": {Ext: ".html", Render: RenderHTML},
	"json": {Ext: ".json", Render: RenderJSON},
}

// FormatNames returns the known format names in a stable order.
func FormatNames() []string { return []string{"md", "html", "json"} }

// ParseFormats splits a comma-separated list such as "md,html,json",
// rejecting unknown names and dropping duplicates.
func ParseFormats(list string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(strings.ToLower(f))
		if f == "" || seen[f] {
			continue
		}
		if _, ok := Formats[f]; !ok {
			return nil, fmt.Errorf("unknown report format %q (want %s)", f, strings.Join(FormatNames(), ", "))
		}
		seen[f] = true
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no report format in %q (want %s)", list, strings.Join(FormatNames(), ", "))
	}
	return out, nil
}

// BaseName is the file name, without extension, of the reports WriteAll writes.
const BaseName = "report"

// WriteAll renders r in each of formats into dir as report.<ext>, each
// written atomically (bundle.WriteAtomic) so a reader never sees a
// half-written report. It returns the paths written, in formats' order.
func WriteAll(dir string, r *analyze.Result, formats []string, o Options) ([]string, error) {
	for _, f := range formats {
		if _, ok := Formats[f]; !ok {
			return nil, fmt.Errorf("unknown report format %q (want %s)", f, strings.Join(FormatNames(), ", "))
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report directory: %w", err)
	}
	var paths []string
	for _, f := range formats {
		ft := Formats[f]
		var buf bytes.Buffer
		if err := ft.Render(&buf, r, o); err != nil {
			return paths, fmt.Errorf("rendering %s report: %w", f, err)
		}
		p := filepath.Join(dir, BaseName+ft.Ext)
		if err := bundle.WriteAtomic(p, func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err }); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}
