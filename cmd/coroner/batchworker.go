package main

import (
	"context"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/all"
	"github.com/coroner/coroner/analyze/driver"
	"github.com/coroner/coroner/internal/batch"
)

// The batch's worker children are this executable started again: each
// analyses one archive with the full analyzer set.
func init() {
	batch.RegisterWorker(batch.Analysis{
		Analyze: func(ctx context.Context, input string, o analyze.Options) (*analyze.Result, error) {
			return driver.Analyze(ctx, input, all.Analyzers, o)
		},
		Seekable: all.Seekable,
		Classify: batchErrorCode,
	})
}
