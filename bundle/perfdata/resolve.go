package perfdata

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/coroner/coroner/bundle/symbolize"
)

// loc is one symbolized address: what a pprof Location and a top-N row
// need.
type loc struct {
	addr   uint64 // address in the process (first seen)
	dso    string // file the address belongs to, "[kernel.kallsyms]" for the kernel
	kernel bool
	// sym is the enclosing function (the symbol perf would name), "" when
	// unresolved.
	sym    string
	frames []symbolize.Frame // innermost first; empty when unresolved
	m      *mapping
}

// Name renders the location the way perf report's symbol column does:
// "[k] name" for kernel code, "[.] name" for user code, the address in hex
// when no symbol covers it. perf prints such a user address relative to
// the file it is mapped from (map__map_ip: ip - start + pgoff), so the
// same code gets one row whichever process or load address it ran at.
func (l *loc) Name() string {
	p := "[.] "
	if l.kernel {
		p = "[k] "
	}
	if l.sym == "" {
		addr := l.addr
		if !l.kernel && l.m != nil {
			addr = addr - l.m.start + l.m.pgoff
		}
		return fmt.Sprintf("%s0x%016x", p, addr)
	}
	return p + l.sym
}

// resolver turns addresses into locs, opening binaries on first use.
type resolver struct {
	binaries map[string]string // build ID, path or base name → local ELF
	knames   map[uint64]string // kernel address → symbol; nil without kallsyms
	// kallsymsFailed is set when a kallsyms was given but unusable.
	kallsymsFailed bool
	feats          *Features
	featN          int               // len(feats.BuildIDs) when featIDs was built
	featIDs        map[string]string // mapped file → build ID from the file's features
	// featAll holds, for a path perf recorded with several build IDs
	// (different files at one path: containers, an upgrade during the
	// recording), all of them; featIDs then holds ambiguousID.
	featAll map[string][]string
	// missing lists the mapped files no binary was found for, with why;
	// missingWarnings reports them.
	missing   map[string]string
	opened    map[string]*symbolize.Binary
	failed    map[string]bool
	perMap    map[*mapping]*symbolize.Binary
	provided  []*symbolize.Binary
	warnings  []string
	warnedMap map[string]bool
	vdsoTried bool
	localVDSO *symbolize.Binary
	// userLocs holds every user-space location resolved: a call chain's
	// frames recur in chain after chain, and each is symbolized once.
	userLocs map[locKey]*loc
}

func newResolver(binaries map[string]string, feats *Features) *resolver {
	r := &resolver{binaries: binaries, feats: feats, featIDs: map[string]string{},
		featAll: map[string][]string{}, missing: map[string]string{},
		opened: map[string]*symbolize.Binary{}, failed: map[string]bool{},
		perMap: map[*mapping]*symbolize.Binary{}, warnedMap: map[string]bool{}, userLocs: map[locKey]*loc{}}
	paths := map[string]bool{}
	for _, p := range binaries {
		paths[p] = true
	}
	var sorted []string
	for p := range paths {
		sorted = append(sorted, p)
	}
	slices.Sort(sorted)
	for _, p := range sorted {
		if b := r.open(p); b != nil {
			r.provided = append(r.provided, b)
		}
	}
	return r
}

func (r *resolver) warnf(format string, args ...any) {
	r.warnings = append(r.warnings, fmt.Sprintf(format, args...))
}

// open opens a local ELF once.
func (r *resolver) open(path string) *symbolize.Binary {
	if b, ok := r.opened[path]; ok {
		return b
	}
	if r.failed[path] {
		return nil
	}
	b, err := symbolize.Open(path)
	if err != nil {
		r.failed[path] = true
		r.warnf("binary %s unusable: %v", path, err)
		return nil
	}
	for _, w := range b.Warnings {
		r.warnf("binary %s: %s", path, w)
	}
	r.opened[path] = b
	return b
}

// openLocal opens a file where the recording names it, once; unlike
// open, a failure is returned, not warned about: most such files belong to
// other processes.
func (r *resolver) openLocal(path string) (*symbolize.Binary, error) {
	if b, ok := r.opened[path]; ok {
		return b, nil
	}
	b, err := symbolize.Open(path)
	if err != nil {
		return nil, err
	}
	r.opened[path] = b
	return b, nil
}

// close releases every opened binary.
func (r *resolver) close() {
	for _, b := range r.opened {
		b.Close()
	}
}

// binaryFor finds the binary for a code mapping and checks its build ID.
func (r *resolver) binaryFor(m *mapping) *symbolize.Binary {
	if b, ok := r.perMap[m]; ok {
		return b
	}
	b := r.pick(m)
	r.perMap[m] = b
	return b
}

func (r *resolver) pick(m *mapping) *symbolize.Binary {
	want := r.recordedID(m)
	if want == ambiguousID {
		return r.pickByGeometry(m)
	}
	if m.file == "[vdso]" {
		return r.vdso(want)
	}
	if strings.HasPrefix(m.file, "[") || strings.HasPrefix(m.file, "//anon") {
		return nil // vdso, vsyscall, JIT: no file to read
	}
	var cand *symbolize.Binary
	if p, ok := r.binaries[want]; ok && want != "" {
		cand = r.open(p)
	}
	if cand == nil {
		for _, k := range []string{m.file, filepath.Base(m.file)} {
			if p, ok := r.binaries[k]; ok {
				cand = r.open(p)
				break
			}
		}
	}
	if cand == nil && want != "" {
		for _, b := range r.provided {
			if b.BuildID == want {
				cand = b
				break
			}
		}
	}
	if cand == nil {
		for _, b := range r.provided {
			if filepath.Base(b.Path) == filepath.Base(m.file) {
				cand = b
				break
			}
		}
	}
	// With no binaries given, use the file where it was recorded — as perf
	// does — but only when a recorded build ID can prove it is the same.
	if cand == nil && len(r.binaries) == 0 && want != "" && filepath.IsAbs(m.file) {
		if _, err := os.Stat(m.file); err == nil {
			var err error
			if cand, err = r.openLocal(m.file); err != nil {
				r.missing[m.file] = fmt.Sprintf("binary %s unusable: %v", m.file, err)
				return nil
			}
		}
	}
	if cand == nil {
		r.missing[m.file] = fmt.Sprintf("no binary for %s (build ID %s); its frames are shown as addresses", m.file, orNone(want))
		return nil
	}
	if want != "" && cand.BuildID != "" && cand.BuildID != want {
		r.warnOnce(m.file, "build ID mismatch: samples in %s were taken with build ID %s but binary %s has %s; its frames are left unsymbolized",
			m.file, want, cand.Path, cand.BuildID)
		return nil
	}
	return cand
}

// ambiguousID stands for the build ID of a path perf recorded with several.
const ambiguousID = "?"

// recordedID returns the build ID perf recorded for a mapping's file: the
// MMAP2 record's own, else the header's build-ID table's entry for its
// path; ambiguousID when that table names the path with several IDs.
func (r *resolver) recordedID(m *mapping) string {
	if m.buildID != "" {
		return m.buildID
	}
	if n := len(r.feats.BuildIDs); n != r.featN {
		// Pipe mode delivers build IDs after the samples.
		for _, b := range r.feats.BuildIDs[r.featN:] {
			r.addFeatID(b.Path, b.ID)
		}
		r.featN = n
	}
	return r.featIDs[m.file]
}

// maxIDsPerPath bounds the build IDs remembered for one path.
const maxIDsPerPath = 64

// addFeatID records a path's build ID from the build-ID table.
func (r *resolver) addFeatID(path, id string) {
	old, ok := r.featIDs[path]
	switch {
	case !ok:
		r.featIDs[path] = id
		return
	case old == id:
		return
	case old != ambiguousID:
		r.featAll[path] = []string{old}
		r.featIDs[path] = ambiguousID
	}
	all := r.featAll[path]
	if !slices.Contains(all, id) && len(all) < maxIDsPerPath {
		r.featAll[path] = append(all, id)
	}
}

// pickByGeometry chooses, for a path recorded with several build IDs, the
// given binary among them whose executable segment the mapping is (its
// file offset and length, symbolize.Binary.FitsMapping). With none or
// more than one fitting, the mapping stays unsymbolized: a wrong binary
// would name the wrong functions.
func (r *resolver) pickByGeometry(m *mapping) *symbolize.Binary {
	var fit []*symbolize.Binary
	for _, id := range r.featAll[m.file] {
		p, ok := r.binaries[id]
		if !ok {
			continue
		}
		if b := r.open(p); b != nil && b.FitsMapping(m.pgoff, m.end-m.start) && !slices.Contains(fit, b) {
			fit = append(fit, b)
		}
	}
	if len(fit) == 1 {
		return fit[0]
	}
	r.warnOnce(m.file+"\x00ambiguous", "%s was recorded with %d build IDs (different files at one path) and %d of the given binaries fit its mapping at offset 0x%x, length 0x%x; its frames are shown as addresses (perf record --buildid-mmap records each mapping's own build ID)",
		m.file, len(r.featAll[m.file]), len(fit), m.pgoff, m.end-m.start)
	return nil
}

// peek returns the binary of an executable mapping, nil for none: one
// already opened for its frames, or one of the given binaries (opened by
// newResolver). A file of the recording host that no frame needed is not
// opened just to ask: on a host-wide recording that is every program on
// the host, and opening them costs more than reading the samples.
func (r *resolver) peek(m *mapping) *symbolize.Binary {
	if m == nil {
		return nil
	}
	if b, ok := r.perMap[m]; ok || len(r.binaries) == 0 {
		return b
	}
	return r.binaryFor(m)
}

// maxMissingListed bounds the missing binaries named one by one in the
// warnings of a whole recording; a host-wide recording maps hundreds of
// files.
const maxMissingListed = 16

// missingWarnings reports the files no binary was found for: the files
// the target's samples ran in (mine; every file when the target is the
// whole recording) by name, those of other processes as a count (their
// frames only matter to the neighbours' line).
func (r *resolver) missingWarnings(mine map[string]bool, t Target) []string {
	files := make([]string, 0, len(r.missing))
	for f := range r.missing {
		files = append(files, f)
	}
	slices.Sort(files)
	var named []string
	others := 0
	for _, f := range files {
		if mine[f] || t.Whole && len(named) < maxMissingListed {
			named = append(named, f)
		} else {
			others++
		}
	}
	var out []string
	for _, f := range named {
		out = append(out, r.missing[f])
	}
	if others > 0 {
		who := "files of other processes"
		if t.Whole {
			who = "more files"
		}
		verb := "have"
		if others == 1 {
			who, verb = strings.Replace(who, "files", "file", 1), "has"
		}
		out = append(out, fmt.Sprintf("%d %s %s no usable binary; their frames are shown as addresses", others, who, verb))
	}
	return out
}

// vdso returns the running kernel's vDSO when it is the one recorded: the
// recorded build ID matches it, or — in pipe mode, where perf sends no
// build ID for [vdso] — the recording names this kernel's release. The
// vDSO is built into the kernel image, so one release has one vDSO.
func (r *resolver) vdso(want string) *symbolize.Binary {
	if !r.vdsoTried {
		r.vdsoTried = true
		if b, err := symbolize.LocalVDSO(); err == nil {
			r.localVDSO = b
		}
	}
	local := r.localVDSO
	switch {
	case local == nil:
		return nil
	case want != "":
		if local.BuildID == want {
			return local
		}
		r.warnOnce("[vdso]", "[vdso] frames left unsymbolized: the recorded vDSO (build ID %s) is not this kernel's", want)
		return nil
	}
	rel := r.feats.OSRelease
	if rel != "" && rel == localRelease() {
		r.warnOnce("[vdso]", "[vdso] frames named from this machine's vDSO: the recording carries no vDSO build ID but names the same kernel release (%s)", rel)
		return local
	}
	r.warnOnce("[vdso]", "[vdso] frames left unsymbolized: the recording carries no vDSO build ID and its kernel release (%s) is not this machine's", orNone(rel))
	return nil
}

// warnOnce records a warning the first time key is seen.
func (r *resolver) warnOnce(key, format string, args ...any) {
	if !r.warnedMap[key] {
		r.warnedMap[key] = true
		r.warnf(format, args...)
	}
}

// localRelease is the running kernel's release string, as uname -r
// prints it; "" when unreadable.
func localRelease() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func orNone(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// user resolves a user-space address of pid.
func (r *resolver) user(sp *space, pid uint32, addr uint64, caller bool) (key locKey, l *loc) {
	m := sp.find(pid, addr)
	if m == nil {
		return locKey{pid: pid, addr: addr}, &loc{addr: addr}
	}
	b := r.binaryFor(m)
	if b == nil {
		return locKey{file: m.file, addr: addr}, &loc{addr: addr, dso: m.file, m: m}
	}
	va, ok := b.AddrForOffset(addr - m.start + m.pgoff)
	if !ok {
		return locKey{file: m.file, addr: addr}, &loc{addr: addr, dso: m.file, m: m}
	}
	key = locKey{file: m.file, addr: va, caller: caller}
	if l, ok := r.userLocs[key]; ok {
		return key, l
	}
	look := va
	if caller && look > 0 {
		look-- // a return address: name the call instruction
	}
	l = &loc{addr: addr, dso: m.file, m: m}
	l.sym, _ = b.Func(look)
	l.frames = b.Frames(look)
	r.userLocs[key] = l
	return key, l
}

// kernelLoc resolves a kernel address.
func (r *resolver) kernelLoc(addr uint64, caller bool) (locKey, *loc) {
	l := &loc{addr: addr, dso: "[kernel.kallsyms]", kernel: true}
	if r.knames != nil {
		look := addr
		if caller {
			look--
		}
		if name, ok := r.knames[look]; ok {
			l.sym = name
			l.frames = []symbolize.Frame{{Func: name}}
		}
	}
	return locKey{file: l.dso, addr: addr, caller: caller}, l
}

// locKey identifies a location across processes: file and address within
// it, or pid and raw address when unmapped.
type locKey struct {
	file   string
	pid    uint32
	addr   uint64
	caller bool
}
