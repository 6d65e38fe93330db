// Package census is the goroutine census analyzer: it reads every
// source in the archive that lists goroutines — cores (read by bundle/gocore, delve in a
// worker child as its fallback), crash and SIGQUIT output, pprof goroutine?debug=2 and
// debug=1 text, the binary goroutine profile — picks the most complete one,
// groups its goroutines by normalized stack and reports the census. Its
// result is what the crash, deadlock and lock_wait analyzers read.
package census

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"sort"
	"sync"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/internal/logs"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/gctrace"
	"github.com/coroner/coroner/bundle/gocore"
	"github.com/coroner/coroner/bundle/goroutines"
)

// Analyzer is the goroutines analyzer.
var Analyzer = &analyze.Analyzer{
	Name: "goroutines",
	Doc: "goroutine census from cores, dumps and logs\n\n" +
		"Lists every goroutine from the core (read where it lies in the archive), text or pprof goroutine dumps, " +
		"or the last traceback in a service log: states, wait reasons and how long, creators, labels, and stacks " +
		"grouped into buckets of identical normalized stacks.\n\n" +
		"Prefers complete sources, and says when a debug=2 dump was cut at 64 MiB.",
	Version: "2",
	// The core census runs in a worker child.
	Offloaded: true,
	Inputs: []analyze.Input{{Kind: bundle.KindCore, Seeks: coreSeeks}, analyze.Seeked(bundle.KindGoBinary), analyze.Seeked(bundle.KindGoDebugBinary),
		analyze.Streamed(bundle.KindGoroutineDump), analyze.Streamed(bundle.KindLog), analyze.Streamed(bundle.KindPprof)},
	ResultType: reflect.TypeFor[*Result](),
	Run:        run,
}

// Result is the census the analyzer settled on, its groups, and every
// census it read.
type Result struct {
	// Census is the best source: complete before cut, with goroutine
	// states before without, a core before text.
	Census  *goroutines.Census  `json:"census"`
	Groups  []goroutines.Bucket `json:"groups"`
	Summary goroutines.Summary  `json:"summary"`
	// All lists every census read, best first.
	All []*goroutines.Census `json:"all"`
	// CoreErrors says, per core artifact, why no census came from it.
	CoreErrors map[string]string `json:"core_errors,omitempty"`
	// LogGCTraces holds, by artifact path, the gctrace summary of each
	// service log whose read for its traceback could tell it
	// (servicelog.Found.GCTrace).
	LogGCTraces map[string]*gctrace.Summary `json:"-"`
}

// GCTrace returns the gctrace summary of log path when the census's read
// of it can tell it (servicelog.Found.GCTrace), so that the log is not
// read twice.
func (r *Result) GCTrace(path string) (*gctrace.Summary, bool) {
	s, ok := r.LogGCTraces[path]
	return s, ok
}

// Censuses returns every census read, best first (for lock_wait and
// others that look for goroutines parked on locks).
func (r *Result) Censuses() []*goroutines.Census { return r.All }

// Crash returns the first census's crash and the crashed goroutine's
// frames, preferring the best source. A crash known only by its signal
// (no panic or fatal error text) does not count when another census shows
// that signal was sent from outside (Requested): that is what a requested
// dump looks like from a source that cannot tell where its signal came
// from, such as the core of a stripped binary beside the runtime's crash
// header.
func (r *Result) Crash() (*goroutines.Census, *goroutines.Goroutine) {
	req := r.Requested()
	for _, c := range r.All {
		if c.Crash == nil || c.Crash.Kind == "" {
			continue
		}
		if req != nil && signalOnly(c.Crash, req.Requested) {
			continue
		}
		for i := range c.Goroutines {
			if c.Goroutines[i].Crashed {
				return c, &c.Goroutines[i]
			}
		}
		return c, nil
	}
	return nil, nil
}

// signalOnly reports a crash known only by a signal that is the one a
// requested dump was sent, or SIGABRT: after printing its dump for any
// fatal signal, the runtime under GOTRACEBACK=crash re-raises SIGABRT at
// itself to dump core (runtime.crash), and that is the signal the core's
// notes record.
func signalOnly(cr *goroutines.Crash, req *goroutines.Requested) bool {
	return req.Signal != "" && cr.Kind == "signal" && cr.Message == "" &&
		(cr.Signal == req.Signal || cr.Signal == "SIGABRT")
}

// Requested returns the best census that shows a dump someone asked for
// (goroutines.Requested), or nil.
func (r *Result) Requested() *goroutines.Census {
	for _, c := range r.All {
		if c.Requested != nil {
			return c
		}
	}
	return nil
}

// CrashText finds what the runtime said about a crash whose chosen
// source left it unsaid: a core from which the panic value or throw text
// could not be read (a throw's string argument often lives only in a
// register), while the crash log the runtime printed names it. The text
// comes from another census whose crash is the same one: the same
// crashed goroutine where both know it, and a kind that agrees (a core
// may know only the fatal signal). It returns the kind and message and
// the census they came from; ok is false when none has them.
func (r *Result) CrashText(from *goroutines.Census) (kind, message, source string, ok bool) {
	cr := from.Crash
	if cr == nil || cr.Message != "" {
		return "", "", "", false
	}
	for _, c := range r.All {
		o := c.Crash
		if c == from || o == nil || o.Message == "" {
			continue
		}
		if cr.GoroutineID != 0 && o.GoroutineID != 0 && cr.GoroutineID != o.GoroutineID {
			continue
		}
		if cr.Kind != "" && cr.Kind != "signal" && cr.Kind != o.Kind {
			continue
		}
		return o.Kind, o.Message, c.Source, true
	}
	return "", "", "", false
}

// ContributeTo fills the report's goroutine groups.
func (r *Result) ContributeTo(res *analyze.Result) {
	for i, g := range r.Groups {
		if i == maxReportGroups {
			break
		}
		res.Goroutines = append(res.Goroutines, ToGroup(g))
	}
}

// maxReportGroups bounds the groups copied into the report and shown as
// stacks: the long tail of single goroutines adds pages, not insight.
const maxReportGroups = 50

// ToGroup converts a bucket to the report's group type.
func ToGroup(g goroutines.Bucket) analyze.Group {
	out := analyze.Group{Count: g.Count, Status: g.Status, WaitReason: g.WaitReason,
		MaxWaitMin: max(g.MaxWait, 0), System: g.System, Frames: FrameStrings(g.Frames)}
	if g.CreatedBy != nil {
		out.CreatedBy = frameString(*g.CreatedBy)
	}
	return out
}

// FrameStrings renders frames as "func (file:line)".
func FrameStrings(fs []goroutines.Frame) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, frameString(f))
	}
	return out
}

func frameString(f goroutines.Frame) string {
	if f.File == "" {
		return f.Func
	}
	return fmt.Sprintf("%s (%s:%d)", f.Func, f.File, f.Line)
}

func run(pass *analyze.Pass) (any, error) {
	r := &Result{CoreErrors: map[string]string{}, LogGCTraces: map[string]*gctrace.Summary{}}
	// Text dumps parse while the core census runs in its child process.
	dumps := make(chan []dumpRead, 1)
	go func() { dumps <- readDumps(pass) }()
	readCores(pass, r)
	for _, d := range <-dumps {
		if d.census != nil {
			r.All = append(r.All, d.census)
		}
		if d.gctrace != nil {
			r.LogGCTraces[d.path] = d.gctrace
		}
	}
	if len(r.All) == 0 {
		return r, nil
	}
	sort.SliceStable(r.All, func(i, j int) bool { return rank(r.All[i]) > rank(r.All[j]) })
	r.Census = r.All[0]
	// Each takes a pass over the census, a tenth of a second for a
	// million goroutines, and every analyzer after this one waits.
	summary := make(chan goroutines.Summary, 1)
	go func() { summary <- goroutines.Summarize(r.Census) }()
	r.Groups = goroutines.Group(r.Census)
	r.Summary = <-summary
	report(pass, r)
	return r, nil
}

// formatRank orders the census sources by what they carry, best last:
// goroutine states (core, crash, SIGQUIT, debug=2) before the aggregated
// ones (the binary profile, debug=1), cores first among equals.
var formatRank = map[string]int{"core": 6, "crash": 5, "sigquit": 4, "debug2": 3, "pprof": 2, "debug1": 1}

// rank orders censuses: complete first, then those carrying goroutine
// states (core, crash, SIGQUIT, debug=2) before the aggregated ones, cores
// first among equals; among cut sources, the one that saw more.
func rank(c *goroutines.Census) int {
	score := 0
	if c.Complete {
		score += 1 << 30
	}
	score += formatRank[c.Format] << 26
	return score + min(c.Total(), 1<<25)
}

// readCores runs the delve census on each core with its executable.
func readCores(pass *analyze.Pass, r *Result) {
	for _, core := range pass.Artifacts(bundle.KindCore) {
		exe, ok := executableFor(pass, core)
		if !ok {
			r.CoreErrors[core.Path] = "no Go executable in the archive for this core (add the binary that produced it)"
			continue
		}
		exePath, err := pass.Path(exe)
		if err != nil {
			r.CoreErrors[core.Path] = err.Error()
			continue
		}
		c, err := census(pass, core, exePath)
		if err != nil {
			r.CoreErrors[core.Path] = err.Error()
			pass.Damaged(err) // a damaged frame the child met ends a run in place
		}
		if c != nil && (len(c.Goroutines) > 0 || c.Crash != nil || c.Requested != nil) {
			c.Source = core.Path
			r.All = append(r.All, c)
			pass.Used(core.Path)
			pass.Used(exe.Path)
		}
	}
}

// census reads a core where it lies in the archive when the source is
// one, or one read in place from an object store (whose census child
// opens the object by its URL), else from the extracted file.
func census(pass *analyze.Pass, core bundle.Artifact, exePath string) (*goroutines.Census, error) {
	twin, err := debugTwin(pass, exePath)
	if err != nil {
		return nil, err
	}
	o := gocore.Options{Force: pass.Force, DebugBinary: twin}
	if a, url, ok := pass.ObjectArchive(); ok {
		o.Child = &gocore.ArchiveChild{Worker: objectCensusWorker, Archive: url}
		return gocore.ArchiveCensus(pass.Context, a, core, exePath, o)
	}
	if a, ok := pass.Archive(); ok {
		return gocore.ArchiveCensus(pass.Context, a, core, exePath, o)
	}
	corePath, err := pass.Path(core)
	if err != nil {
		return nil, err
	}
	return gocore.Census(pass.Context, corePath, exePath, o)
}

// executableFor picks the Go binary whose build ID matches the core's,
// else the only Go binary, else the one named like the core's executable.
func executableFor(pass *analyze.Pass, core bundle.Artifact) (bundle.Artifact, bool) {
	bins := pass.Artifacts(bundle.KindGoBinary)
	want := core.Attrs["build_id"]
	for _, b := range bins {
		if want != "" && b.Attrs["build_id"] == want {
			return b, true
		}
	}
	wantGo := core.Attrs["go_build_id"]
	for _, b := range bins {
		if wantGo != "" && b.Attrs["go_build_id"] == wantGo {
			return b, true
		}
	}
	if len(bins) == 1 {
		return bins[0], true
	}
	return bundle.Artifact{}, false
}

// readDumps parses every text source of goroutines: goroutine dumps, the
// last traceback of each service log, and goroutine profiles. They are
// parsed side by side, as many at once as there are CPUs (a large
// incident's log and dump take a second or more each, beside the core's
// census child); their censuses, warnings and uses are then given in the
// artifacts' order, as one at a time would have.
func readDumps(pass *analyze.Pass) []dumpRead {
	var jobs []func() dumpRead
	for _, a := range pass.Artifacts(bundle.KindGoroutineDump) {
		jobs = append(jobs, func() dumpRead { return parse(pass, a, goroutines.ParseDump) })
	}
	for _, a := range pass.Artifacts(bundle.KindLog) {
		jobs = append(jobs, func() dumpRead {
			c, found, err := logs.Census(pass, a)
			d := dumpRead{path: a.Path}
			if found != nil {
				// Only the summary outlives the read: the traceback's
				// text goes with it.
				d.gctrace, _ = found.GCTrace()
			}
			switch {
			case errors.Is(err, goroutines.ErrNoTraceback):
				// A log of gctrace and application lines only.
			case err != nil:
				d.warning = err.Error()
			default:
				d.census, d.used = c, a.Path
			}
			return d
		})
	}
	for _, a := range pass.Artifacts(bundle.KindPprof) {
		if a.Attrs["profile_type"] == "goroutine" {
			jobs = append(jobs, func() dumpRead { return parse(pass, a, goroutines.ParseProfile) })
		}
	}
	reads := make([]dumpRead, len(jobs))
	// As many at once as there are CPUs: each holds a source's census,
	// up to a 64 MiB traceback's, while it is parsed.
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, job := range jobs {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			reads[i] = job()
		})
	}
	wg.Wait()
	for _, r := range reads {
		if r.warning != "" {
			pass.Warn(r.warning)
		}
		if r.used != "" {
			pass.Used(r.used)
		}
	}
	return reads
}

// dumpRead is what parsing one text source gave: its census (nil if
// none), a warning, and the artifact to mark used; for a service log,
// also its path and its gctrace summary when the read could tell it.
type dumpRead struct {
	census  *goroutines.Census
	warning string
	used    string
	path    string
	gctrace *gctrace.Summary
}

func parse(pass *analyze.Pass, a bundle.Artifact, fn func(r io.Reader, name string) (*goroutines.Census, error)) dumpRead {
	rc, err := pass.Open(a)
	if err != nil {
		return dumpRead{warning: fmt.Sprintf("%s: %v", a.Path, err)}
	}
	defer rc.Close()
	c, err := fn(rc, a.Path)
	if err != nil {
		return dumpRead{warning: err.Error()}
	}
	return dumpRead{census: c, used: a.Path}
}

// coreSeeks reports whether the census reads core a as a file: cores are
// read where they lie in the archive when gocore.ReadInPlace says they can
// be, and only with a Go executable to read them by.
func coreSeeks(m *bundle.Manifest, a bundle.Artifact) bool {
	return !gocore.ReadInPlace(m, a) && len(m.ArtifactsOf(bundle.KindGoBinary)) > 0
}

// Of returns the census result of a pass that requires or runs after the
// census analyzer (nil if it failed or did not run).
func Of(pass *analyze.Pass) *Result {
	r, _ := pass.ResultOf(Analyzer).(*Result)
	return r
}
