package capture

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/coroner/coroner/bundle"
)

// Step statuses as recorded in the manifest.
const (
	StatusOK      = "ok"
	StatusSkipped = "skipped"
	StatusFailed  = "failed"
)

// skipError marks a step that did not run for a reason that is not a
// failure (no pprof URL given, perf missing, --with-env not set).
type skipError struct{ reason string }

func (e *skipError) Error() string { return e.reason }

// skip returns an error that records the step as skipped.
func skip(format string, args ...any) error {
	return &skipError{reason: fmt.Sprintf(format, args...)}
}

// recorder collects step outcomes from concurrent steps.
type recorder struct {
	mu    sync.Mutex
	steps []bundle.CaptureStep
	order map[string]int
	log   func(format string, args ...any)
	prog  func(Progress)
	total int
}

// Progress reports how far a capture has come, for a progress display.
type Progress struct {
	Done, Total int
	// Step is the step that just finished and Status its outcome.
	Step, Status string
}

// run executes fn as step name under its own timeout and records the
// outcome: ok with the files fn returned, skipped for a skipError, failed
// otherwise.
func (r *recorder) run(ctx context.Context, name string, timeout time.Duration, fn func(ctx context.Context) ([]string, error)) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	start := time.Now()
	files, err := fn(ctx)
	st := bundle.CaptureStep{Name: name, Status: StatusOK, Files: files,
		Duration: time.Since(start).Round(time.Millisecond).String()}
	if err != nil {
		if s, ok := err.(*skipError); ok {
			st.Status, st.Reason = StatusSkipped, s.reason
		} else {
			st.Status, st.Reason = StatusFailed, err.Error()
			if ctx.Err() == context.DeadlineExceeded {
				st.Reason = fmt.Sprintf("timed out after %v: %v", timeout, err)
			}
		}
	}
	slices.Sort(st.Files)
	r.add(st)
	return err
}

// add records a finished step and reports it; reports are serialized so
// log lines never interleave and a progress display sees steps in order.
func (r *recorder) add(st bundle.CaptureStep) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.steps = append(r.steps, st)
	if r.log != nil {
		switch st.Status {
		case StatusOK:
			r.log("%s: ok %s", st.Name, strings.TrimSpace(st.Duration+" "+strings.Join(st.Files, " ")))
		default:
			r.log("%s: %s: %s", st.Name, st.Status, st.Reason)
		}
	}
	if r.prog != nil {
		r.prog(Progress{Done: len(r.steps), Total: r.total, Step: st.Name, Status: st.Status})
	}
}

// result returns the steps in the fixed order the capture declares, so
// the manifest does not depend on which concurrent step finished first.
func (r *recorder) result() []bundle.CaptureStep {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]bundle.CaptureStep(nil), r.steps...)
	sort.SliceStable(out, func(i, j int) bool {
		oi, iok := r.order[out[i].Name]
		oj, jok := r.order[out[j].Name]
		if iok != jok {
			return iok
		}
		if oi != oj {
			return oi < oj
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// failed lists the names of failed steps.
func (r *recorder) failed() []string {
	var out []string
	for _, s := range r.result() {
		if s.Status == StatusFailed {
			out = append(out, s.Name)
		}
	}
	return out
}

// setMethod records how the named step got its data.
func (r *recorder) setMethod(name, method string) {
	r.update(name, func(s *bundle.CaptureStep) { s.Method = method })
}

// setReason records, on a step that succeeded, how it went about it.
func (r *recorder) setReason(name, reason string) {
	r.update(name, func(s *bundle.CaptureStep) { s.Reason = reason })
}

// update applies fn to the named step's record.
func (r *recorder) update(name string, fn func(*bundle.CaptureStep)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.steps {
		if r.steps[i].Name == name {
			fn(&r.steps[i])
		}
	}
}
