package batch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"path/filepath"
	"sync"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/blobstore"
	"github.com/coroner/coroner/internal/index"
)

// runner holds a batch's shared state.
type runner struct {
	o   Options
	db  *index.DB
	out *output
	// wctx is the context records are written under: not cancelled by
	// an interrupt, so an interrupted run still records what finished.
	wctx context.Context
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

// recordPath is where input's record lives in the output, named by the
// input's absolute path or its URL.
func (r *runner) recordPath(input string) string {
	abs := input
	if !blobstore.IsURL(input) {
		if a, err := filepath.Abs(input); err == nil {
			abs = a
		}
	}
	sum := sha256.Sum256([]byte(abs))
	return path.Join(inputsDir, name(hex.EncodeToString(sum[:12]), r.o.AnalyzerSet))
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
	size, mtime, err := r.version(ctx, input)
	if err != nil {
		return r.finish(e, nil, exitInput, err), false
	}
	rec := record{Size: size, ModTime: mtime}
	recPath := r.recordPath(input)
	if old, ok := r.stored(ctx, recPath, rec); ok {
		old.Input = input
		return old, true
	}
	key, archive, err := r.identityOf(ctx, input)
	if err != nil {
		return r.finish(e, &rec, exitInput, err), false
	}
	e.Key = key
	rel := path.Join(resultsDir, name(key, r.o.AnalyzerSet))
	resPath := r.out.name(rel)

	// The same content was analyzed already (another copy, or a run killed
	// before it recorded this input): the stored result stands, once the
	// archive passes the check an analysis would make of it (a damaged copy
	// shares the intact one's manifest digest): its seal and structure, or
	// with Verify every member's hash. An attachment's key hashes all its
	// bytes.
	if r.out.exists(ctx, rel) {
		if res, err := r.out.readResult(ctx, rel); err == nil {
			if archive {
				if err := r.check(ctx, input); err != nil {
					return r.finish(e, &rec, exitInput, err), false
				}
			}
			r.index(ctx, res, resPath)
			e.Status, e.Result, e.Outcome = StatusOK, rel, outcomeOf(res)
			return r.finish(e, &rec, 0, nil), true
		}
	}

	args, fetched, err := r.childInput(ctx, input, archive, size)
	if err != nil {
		if ctx.Err() != nil {
			e.Status = StatusInterrupted
			return e, false
		}
		return r.finish(e, &rec, exitInput, err), false
	}
	defer fetched()
	res, code, err := analyzeInChild(ctx, args, r.o.Limits)
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
	if err := r.out.writeJSON(r.wctx, rel, res); err != nil {
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
		if werr := r.out.writeJSON(r.wctx, r.recordPath(e.Input), rec); werr != nil {
			r.setWriteErr(werr)
		}
	}
	return e
}

// stored returns the recorded entry for the same file, if its record
// matches size and modification time and (when it succeeded) its result
// is still there.
func (r *runner) stored(ctx context.Context, rel string, want record) (Entry, bool) {
	var rec record
	if err := r.out.readJSON(ctx, rel, &rec); err != nil {
		return Entry{}, false
	}
	if rec.Size != want.Size || rec.ModTime != want.ModTime {
		return Entry{}, false
	}
	switch rec.Status {
	case StatusOK:
		if !r.out.exists(ctx, filepath.ToSlash(rec.Result)) {
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

// check makes the check an analysis would make of input before trusting a
// stored result for it: its seal and structure, or with Verify every
// member's hash. An object is fetched for it (its seal checked on the way,
// and not again).
func (r *runner) check(ctx context.Context, input string) error {
	local, sealed, fetched, err := LocalInput(ctx, input)
	if err != nil {
		return err
	}
	defer fetched()
	switch {
	case r.o.Verify:
		return bundle.Verify(local)
	case !sealed:
		return bundle.CheckSealed(local)
	}
	// The fetch checked the seal: the structure is left to check.
	a, err := bundle.OpenSealed(local)
	if err != nil {
		return err
	}
	defer a.Close()
	return a.CheckSealed()
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
