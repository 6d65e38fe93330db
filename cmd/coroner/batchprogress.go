package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/coroner/coroner/internal/batch"
)

// batchProgress shows a batch's progress: a bar when stderr is a terminal
// (and logs are text), one line per archive otherwise.
type batchProgress struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	total int
	n     int
}

func newBatchProgress(w io.Writer) *batchProgress { return &batchProgress{w: w} }

func (p *batchProgress) start(total int) {
	p.total = total
	if f, ok := p.w.(*os.File); ok && logFormat == "text" && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription("analyzing"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
}

func (p *batchProgress) done(e batch.Entry, cached bool) {
	p.n++
	if p.bar != nil {
		if e.Status == batch.StatusFailed {
			// Failures stay on screen above the bar.
			_ = p.bar.Clear()
			fmt.Fprintf(p.w, "failed %s: %s\n", sanitizeTerm(displayName(e.Input)), sanitizeTerm(errorWithout(e)))
		}
		_ = p.bar.Add(1)
		return
	}
	if logFormat == "json" {
		_ = json.NewEncoder(p.w).Encode(map[string]any{
			"level": levelOf(e), "msg": "batch progress", "done": p.n, "total": p.total,
			"input": displayName(e.Input), "status": e.Status, "cached": cached, "error": e.Error,
			"cause": e.Cause, "exit_code": e.ExitCode,
		})
		return
	}
	what := e.Status
	if cached {
		what += " (stored)"
	}
	detail := ""
	switch e.Status {
	case batch.StatusOK:
		detail = e.Cause + " " + e.Severity
		if e.Culprit != "" {
			detail += " " + e.Culprit
		}
	case batch.StatusFailed:
		detail = errorWithout(e)
	}
	fmt.Fprintf(p.w, "batch: [%d/%d] %s %s: %s\n", p.n, p.total, what, sanitizeTerm(displayName(e.Input)), sanitizeTerm(detail))
}

func (p *batchProgress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

func levelOf(e batch.Entry) string {
	if e.Status == batch.StatusFailed {
		return "error"
	}
	return "info"
}

// errorWithout is the first line of e's error without a leading
// "INPUT: ", which the line already shows.
func errorWithout(e batch.Entry) string {
	return strings.TrimPrefix(firstLineOf(e.Error), e.Input+": ")
}
