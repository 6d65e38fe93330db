package crash

import (
	"context"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/census"
)

// Read runs the goroutines and crash analyzers over src, for the crash
// command: the crash (nil when the archive records none), the census
// result it came from, and every finding.
func Read(ctx context.Context, src analyze.Source, force bool) (*Result, *census.Result, []analyze.Finding, []string, error) {
	gr, fs, warns, err := census.Read(ctx, src, force)
	if err != nil {
		return nil, nil, fs, warns, err
	}
	results := map[*analyze.Analyzer]any{census.Analyzer: gr}
	pass := analyze.NewPass(ctx, Analyzer, src, results,
		func(f analyze.Finding) { fs = append(fs, f) }, nil,
		func(w string) { warns = append(warns, w) })
	pass.Force = force
	r, err := Analyzer.Run(pass)
	if err != nil {
		return nil, gr, fs, warns, err
	}
	cr, _ := r.(*Result)
	return cr, gr, fs, warns, nil
}
