// Package inventory tells which artifact belongs to which binary, by build
// ID: cores (their executable's build ID), pprof profiles (their main
// mapping's), perf.data (the build IDs perf recorded) against the Go and
// ELF binaries in the archive. A mismatch means symbols or goroutine
// structures would be read with the wrong binary, and is reported.
package inventory

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/bundle"
)

// Analyzer is the inventory analyzer.
var Analyzer = &analyze.Analyzer{
	Name: "inventory",
	Doc: "match artifacts to their binaries by build ID\n\n" +
		"Pairs each core, profile and perf.data recording with the executable that produced it, by GNU and Go " +
		"build IDs, and reports artifacts whose binary is missing or differs from the one in the archive.",
	Version: "1",
	Inputs: []analyze.Input{analyze.Streamed(bundle.KindGoBinary), analyze.Streamed(bundle.KindELF),
		analyze.Streamed(bundle.KindCore), analyze.Streamed(bundle.KindPerfData), analyze.Streamed(bundle.KindPprof)},
	ResultType: reflect.TypeFor[*Result](),
	Run:        run,
}

// Result maps artifact paths to the archive path of their binary.
type Result struct {
	BinaryOf map[string]string
}

type binary struct {
	path string
	ids  []string
}

func run(pass *analyze.Pass) (any, error) {
	res := &Result{BinaryOf: map[string]string{}}
	var bins []binary
	for _, k := range []bundle.Kind{bundle.KindGoBinary, bundle.KindELF} {
		for _, a := range pass.Artifacts(k) {
			b := binary{path: a.Path}
			for _, key := range []string{"build_id", "go_build_id"} {
				if v := a.Attrs[key]; v != "" {
					b.ids = append(b.ids, v)
				}
			}
			bins = append(bins, b)
		}
	}
	match := func(ids ...string) (string, bool) {
		for _, b := range bins {
			for _, want := range ids {
				for _, have := range b.ids {
					if want != "" && want == have {
						return b.path, true
					}
				}
			}
		}
		return "", false
	}
	var mismatches []string
	var ev []analyze.Evidence
	check := func(a bundle.Artifact, what string, ids ...string) {
		var nonEmpty []string
		for _, id := range ids {
			if id != "" {
				nonEmpty = append(nonEmpty, id)
			}
		}
		if len(nonEmpty) == 0 || len(bins) == 0 {
			return
		}
		pass.Used(a.Path)
		if p, ok := match(nonEmpty...); ok {
			res.BinaryOf[a.Path] = p
			pass.Used(p)
			return
		}
		mismatches = append(mismatches, fmt.Sprintf("%s (%s build ID %s)", a.Path, what, short(nonEmpty[0])))
		ev = append(ev, analyze.Evidence{Metric: "unmatched_build_id", Value: 1, Artifact: a.Path, Note: what + " build ID " + short(nonEmpty[0]) + " matches no binary in the archive"})
	}
	for _, a := range pass.Artifacts(bundle.KindCore) {
		check(a, "core executable", a.Attrs["build_id"], a.Attrs["go_build_id"])
	}
	for _, a := range pass.Artifacts(bundle.KindPprof) {
		// Profiles of statically linked Go programs name the executable as
		// their first mapping.
		check(a, "profile main mapping", a.Attrs["build_id"])
	}
	for _, a := range pass.Artifacts(bundle.KindPerfData) {
		if ids := perfBuildIDs(a.Attrs["build_ids"], bins); len(ids) > 0 {
			check(a, "perf", ids...)
		}
	}
	if len(bins) == 0 {
		return res, nil
	}
	slices.Sort(mismatches)
	if len(mismatches) > 0 {
		pass.Report(analyze.Finding{
			ID:         "inventory/build-id-mismatch",
			Title:      fmt.Sprintf("%d artifact(s) were not produced by the archived binary", len(mismatches)),
			Severity:   analyze.Warning,
			Confidence: 0.9,
			Summary:    "Unmatched: " + strings.Join(mismatches, "; ") + ". Symbols and runtime structures read through the wrong binary are wrong.",
			Evidence:   ev,
			Remedy:     "Add the exact binary that was running (same build ID) to the incident, or re-run with --force to analyse anyway.",
		})
	}
	return res, nil
}

// perfBuildIDs picks the build IDs perf recorded for the files it saw;
// with no binary named like one of them, all of them.
func perfBuildIDs(list string, bins []binary) []string {
	var ids []string
	for _, e := range strings.Split(list, ",") {
		id, path, _ := strings.Cut(e, ":")
		if id == "" || strings.HasPrefix(path, "[") || strings.Contains(path, "/lib") || strings.Contains(path, "vdso") {
			continue // the kernel, vDSO and shared libraries are not the program
		}
		ids = append(ids, id)
	}
	return ids
}

func short(id string) string {
	if len(id) > 16 {
		return id[:16] + "…"
	}
	return id
}
