package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/urfave/cli/v2"

	"github.com/coroner/coroner/bundle"
)

func init() {
	register(&cli.Command{
		Name:      "ls",
		Usage:     "list an archive's artifacts from its manifest",
		ArgsUsage: "ARCHIVE",
		Description: `Reads only the manifest, the archive's first member: fast whatever the archive's size.
Use coroner verify to check the contents.

Exit codes: 0 listed; 2 bad usage; 3 not a readable coroner archive.`,
		Flags: []cli.Flag{
			jsonFlag("print the manifest as JSON"),
		},
		Action: runLs,
	})
}

func runLs(c *cli.Context) error {
	if err := checkArgs(c, 1, "ARCHIVE"); err != nil {
		return err
	}
	a, err := bundle.Open(c.Args().First())
	if err != nil {
		return withCode(exitInput, err)
	}
	defer a.Close()
	m := a.Manifest()
	if c.Bool("json") {
		return writeJSONOut(c.App.Writer, struct {
			Digest string `json:"digest"`
			*bundle.Manifest
		}{a.Digest(), m})
	}
	return printManifest(c.App.Writer, a.Digest(), m)
}

// printManifest writes the incident header and one table row per artifact.
// Names and attributes come from the inputs and are escaped for the
// terminal.
func printManifest(w io.Writer, digest string, m *bundle.Manifest) error {
	fmt.Fprintf(w, "incident %s", bundle.DisplayName(m.ID))
	if m.Title != "" {
		fmt.Fprintf(w, " — %s", bundle.DisplayName(m.Title))
	}
	fmt.Fprintln(w)
	if !m.Time.IsZero() {
		fmt.Fprintf(w, "time     %s\n", m.Time.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	fmt.Fprintf(w, "digest   %s\ntool     %s\n", digest, bundle.DisplayName(m.Tool))
	if len(m.Labels) > 0 {
		keys := make([]string, 0, len(m.Labels))
		for k := range m.Labels {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var kv []string
		for _, k := range keys {
			kv = append(kv, bundle.DisplayName(k+"="+m.Labels[k]))
		}
		fmt.Fprintf(w, "labels   %s\n", strings.Join(kv, " "))
	}
	tbl := newTable(w)
	tbl.Header("Kind", "Size", "Path", "Original", "Details")
	for _, art := range m.Artifacts {
		orig := art.Original
		if art.Compression != "" {
			orig += " (" + art.Compression + ")"
		}
		if len(art.Also) > 0 {
			orig += fmt.Sprintf(" +%d identical", len(art.Also))
		}
		row := []string{string(art.Kind), humanize.IBytes(uint64(art.Size)), art.Path, bundle.DisplayName(orig), bundle.DisplayName(details(art))}
		if err := tbl.Append(row); err != nil {
			return fmt.Errorf("table: %w", err)
		}
	}
	if err := tbl.Render(); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	for _, wmsg := range m.Warnings {
		fmt.Fprintf(w, "warning: %s\n", bundle.DisplayName(wmsg))
	}
	return nil
}

// detailKeys are the attributes shown in the table, per kind, most telling
// first; `ls --json` shows all of them.
var detailKeys = map[bundle.Kind][]string{
	bundle.KindGoBinary:      {"go_version", "main_path", "vcs_revision", "build_id", "dwarf", "symtab"},
	bundle.KindGoDebugBinary: {"go_version", "main_path", "vcs_revision", "build_id"},
	bundle.KindELF:           {"machine", "build_id"},
	bundle.KindCore:          {"exe", "signal", "threads", "pid"},
	bundle.KindPerfData:      {"events", "hostname", "cmdline"},
	bundle.KindPprof:         {"profile_type", "sample_types", "duration", "time"},
	bundle.KindTrace:         {"trace_version"},
	bundle.KindGCTrace:       {"gc_cycles"},
	bundle.KindGoroutineDump: {"goroutines", "crash"},
	bundle.KindLog:           {"log_format", "tracebacks", "crash", "gctrace_lines"},
}

func details(art bundle.Artifact) string {
	var parts []string
	for _, k := range detailKeys[art.Kind] {
		if v := art.Attrs[k]; v != "" {
			if len(v) > 60 {
				v = v[:57] + "..."
			}
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, " ")
}
