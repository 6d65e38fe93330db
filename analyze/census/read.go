package census

import (
	"context"

	"github.com/coroner/coroner/analyze"
)

// Read runs the analyzer alone over src, for commands that show the
// census itself: the result, its findings, and the warnings met.
func Read(ctx context.Context, src analyze.Source, force bool) (*Result, []analyze.Finding, []string, error) {
	return ReadWith(ctx, src, analyze.Options{Force: force})
}

// ReadWith is Read with the options that reach the census: Force and
// DebugBinary.
func ReadWith(ctx context.Context, src analyze.Source, o analyze.Options) (*Result, []analyze.Finding, []string, error) {
	var fs []analyze.Finding
	var warns []string
	pass := analyze.NewPass(ctx, Analyzer, src, nil,
		func(f analyze.Finding) { fs = append(fs, f) }, nil,
		func(w string) { warns = append(warns, w) })
	pass.Force, pass.DebugBinary = o.Force, o.DebugBinary
	r, err := Analyzer.Run(pass)
	if err != nil {
		return nil, fs, warns, err
	}
	return r.(*Result), fs, warns, nil
}
