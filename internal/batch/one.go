package batch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/index"
)

// runner holds a batch's shared state.
type runner struct {
	o  Options
	db *index.DB
	// ids are the identities partition computed (nil when not sharded).
	ids map[string]identity

	mu       sync.Mutex
	writeErr error

	doneMu sync.Mutex
}

// record is what an input's outcome leaves in inputs/: enough to skip the
// same file (same path, size and modification time) on a re-run.
type record struct {
	Entry
	Size    int64 `json:"size"`
	ModTime int64 `json:"mtime_ns"`
}

// done reports a finished entry to the caller, one at a time.
func (r *runner) done(e Entry, cached bool) {
	if r.o.OnDone == nil {
		return
	}
	r.doneMu.Lock()
	defer r.doneMu.Unlock()
	r.o.OnDone(e, cached)
}

// recordPath is where input's record lives.
func (r *runner) recordPath(input string) string {
	abs, err := filepath.Abs(input)
	if err != nil {
		abs = input
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(r.o.Out, inputsDir, name(hex.EncodeToString(sum[:12]), r.o.AnalyzerSet))
}

// one produces input's entry: from its record when the same file was done
// before, from a stored result of the same archive digest once the file
// verifies, or else by analyzing it in a child.
func (r *runner) one(ctx context.Context, input string) (Entry, bool) {
	e := Entry{Input: input}
	if ctx.Err() != nil {
		e.Status = StatusInterrupted
		return e, false
	}
	st, err := os.Stat(input)
	if err != nil {
		return r.finish(e, nil, exitInput, err), false
	}
	rec := record{Size: st.Size(), ModTime: st.ModTime().UnixNano()}
	recPath := r.recordPath(input)
	if old, ok := r.stored(recPath, rec); ok {
		old.Input = input
		return old, true
	}
	key, archive, err := r.identityOf(input)
	if err != nil {
		return r.finish(e, &rec, exitInput, err), false
	}
	e.Key = key
	rel := filepath.Join(resultsDir, name(key, r.o.AnalyzerSet))
	resPath := filepath.Join(r.o.Out, rel)

	// The same content was analyzed already (another copy, or a run killed
	// before it recorded this input): the stored result stands, once the
	// archive passes the check an analysis would make of it (a damaged copy
	// shares the intact one's manifest digest): its seal and structure, or
	// with Verify every member's hash. An attachment's key hashes all its
	// bytes.
	if exists(resPath) {
		if res, err := ReadResult(resPath); err == nil {
			if archive {
				check := bundle.CheckSealed
				if r.o.Verify {
					check = bundle.Verify
				}
				if err := check(input); err != nil {
					return r.finish(e, &rec, exitInput, err), false
				}
			}
			r.index(ctx, res, resPath)
			e.Status, e.Result, e.Outcome = StatusOK, rel, outcomeOf(res)
			return r.finish(e, &rec, 0, nil), true
		}
	}

	res, code, err := analyzeInChild(ctx, input, r.o.Analyze, r.o.Verify, r.o.CacheMax, r.o.Limits)
	if ctx.Err() != nil {
		e.Status = StatusInterrupted
		return e, false
	}
	if err == nil {
		if err = checkDigest(res, key); err != nil {
			code = exitInternal
		}
	}
	if err != nil {
		return r.finish(e, &rec, code, err), false
	}
	if err := writeJSON(resPath, res); err != nil {
		r.setWriteErr(err)
		return r.finish(e, nil, exitInternal, fmt.Errorf("storing result: %w", err)), false
	}
	r.index(ctx, res, resPath)
	e.Status, e.Result, e.Outcome = StatusOK, rel, outcomeOf(res)
	return r.finish(e, &rec, 0, nil), false
}

// finish completes e (as failed when err is set) and stores its record
// when rec is given.
func (r *runner) finish(e Entry, rec *record, code int, err error) Entry {
	if err != nil {
		e.Status, e.Error, e.ExitCode = StatusFailed, err.Error(), code
		e.Result, e.Outcome = "", Outcome{}
	}
	if rec != nil {
		rec.Entry = e
		if werr := writeJSON(r.recordPath(e.Input), rec); werr != nil {
			r.setWriteErr(werr)
		}
	}
	return e
}

// stored returns the recorded entry for the same file, if its record
// matches size and modification time and (when it succeeded) its result
// is still there.
func (r *runner) stored(path string, want record) (Entry, bool) {
	var rec record
	if err := readJSON(path, &rec); err != nil {
		return Entry{}, false
	}
	if rec.Size != want.Size || rec.ModTime != want.ModTime {
		return Entry{}, false
	}
	switch rec.Status {
	case StatusOK:
		if !exists(filepath.Join(r.o.Out, rec.Result)) {
			return Entry{}, false
		}
	case StatusFailed:
		if r.o.RetryFailed {
			return Entry{}, false
		}
	default:
		return Entry{}, false
	}
	return rec.Entry, true
}

// checkDigest confirms an archive's result is about that archive.
func checkDigest(res *analyze.Result, key string) error {
	if isAttachmentKey(key) || res.Incident.ArchiveDigest == key {
		return nil
	}
	return fmt.Errorf("result names archive digest %q, want %q", res.Incident.ArchiveDigest, key)
}

func isAttachmentKey(key string) bool {
	return len(key) > len(attachmentPrefix) && key[:len(attachmentPrefix)] == attachmentPrefix
}

// index adds res to the index; the first error is kept for Run to return.
func (r *runner) index(ctx context.Context, res *analyze.Result, source string) {
	if r.db == nil {
		return
	}
	if err := r.db.Add(ctx, index.FromResult(res, r.o.AnalyzerSet, source)); err != nil && ctx.Err() == nil {
		r.setWriteErr(err)
	}
}

func (r *runner) setWriteErr(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.writeErr == nil {
		r.writeErr = err
	}
}
