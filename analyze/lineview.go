package analyze

// LineSamples is the data behind source listings: per source line, the
// samples the archive's profiles charge to it, for the files the findings
// blame and the hottest lines of user code. The analysis fills it; a
// listing step (reports/source) reads the files from source trees given at
// report time and adds them to the result as SourceView.
type LineSamples struct {
	// Kinds are the sample kinds present, in a fixed order: cpu, alloc,
	// mutex, block.
	Kinds []SampleKind `json:"kinds"`
	// Build describes the executable whose file names the samples carry;
	// nil when the archive holds no Go executable.
	Build *BuildInfo `json:"build,omitempty"`
	// Hot are the hottest lines of user code per kind, hottest first.
	Hot []HotLine `json:"hot,omitempty"`
	// Files hold the sampled lines of every file a finding's culprit or a
	// hot line is in, sorted by file name.
	Files []FileSamples `json:"files"`
}

// Sample kind names.
const (
	SampleCPU   = "cpu"   // CPU time, perf and pprof CPU profiles merged
	SampleAlloc = "alloc" // bytes allocated since the process started
	SampleMutex = "mutex" // mutex delay, charged to the unlocker
	SampleBlock = "block" // blocking delay, charged to the waiter
)

// SampleKind is one kind of sample and where it came from.
type SampleKind struct {
	Name string `json:"name"`
	// Unit is "ns" or "bytes".
	Unit string `json:"unit"`
	// Total is the kind's total over all samples, for shares.
	Total   int64    `json:"total"`
	Sources []string `json:"sources"`
}

// BuildInfo is what the Go toolchain recorded about how the executable was
// built, as far as it maps file names to source trees.
type BuildInfo struct {
	GoVersion   string `json:"go_version,omitempty"`
	MainPath    string `json:"main_path,omitempty"`
	MainVersion string `json:"main_version,omitempty"`
	// VCSRevision and VCSModified are the build settings vcs.revision and
	// vcs.modified.
	VCSRevision string `json:"vcs_revision,omitempty"`
	VCSModified bool   `json:"vcs_modified,omitempty"`
	// Modules are the dependencies whose files appear in Files.
	Modules []Module `json:"modules,omitempty"`
	// Artifact is the executable's archive path.
	Artifact string `json:"artifact,omitempty"`
}

// Module is one dependency of the build; Replace is set when a replace
// directive substituted it.
type Module struct {
	Path    string  `json:"path"`
	Version string  `json:"version,omitempty"`
	Replace *Module `json:"replace,omitempty"`
}

// HotLine is one of the hottest lines of user code for a kind: the line
// of the innermost user frame of the samples charged to it (time spent in
// the runtime or the standard library on its behalf included).
type HotLine struct {
	Kind     string `json:"kind"`
	Function string `json:"function"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Value    int64  `json:"value"`
}

// FileSamples are the sampled lines of one file, by line number.
type FileSamples struct {
	// File is the name the executable records (trimmed or absolute).
	File  string       `json:"file"`
	Lines []LineSample `json:"lines"`
	// Truncated counts sampled lines left out to bound the result.
	Truncated int `json:"truncated,omitempty"`
}

// LineSample is one line's samples per kind name.
type LineSample struct {
	Line   int                   `json:"line"`
	Values map[string]LineValues `json:"values"`
}

// LineValues are a line's samples of one kind, as pprof -list shows them:
// Flat where the line is the innermost frame, Cum where it is on the stack.
type LineValues struct {
	Flat int64 `json:"flat,omitempty"`
	Cum  int64 `json:"cum,omitempty"`
}

// SourceView is the source listed at the findings' culprits and the hottest
// lines, read from the source trees given at report time.
type SourceView struct {
	// Roots are the source trees, as given.
	Roots []string `json:"roots"`
	// Context is how many lines are shown either side of a target line.
	Context  int       `json:"context"`
	Listings []Listing `json:"listings"`
	// Warnings say what could not be listed or trusted, naming the file.
	Warnings []string `json:"warnings,omitempty"`
}

// Listing is a window of one source file around its target lines.
type Listing struct {
	// File is the name the executable records.
	File string `json:"file"`
	// Path is the file read, under Root; empty when it was not found.
	Path string `json:"path,omitempty"`
	Root string `json:"root,omitempty"`
	// Targets are the lines this listing was made for.
	Targets []Target     `json:"targets"`
	Lines   []SourceLine `json:"lines,omitempty"`
	// Stale says why the file may not be the one built (empty: no sign).
	Stale []string `json:"stale,omitempty"`
}

// Target is a line a listing shows: a finding's culprit or a hot line.
type Target struct {
	Line     int    `json:"line"`
	Function string `json:"function,omitempty"`
	// FindingID is the finding blaming the line; empty for a hot line.
	FindingID string `json:"finding_id,omitempty"`
	// HotKind is the kind a hot line is hottest in.
	HotKind string `json:"hot_kind,omitempty"`
}

// SourceLine is one line of a listing with its samples.
type SourceLine struct {
	Line   int                   `json:"line"`
	Text   string                `json:"text"`
	Target bool                  `json:"target,omitempty"`
	Values map[string]LineValues `json:"values,omitempty"`
}
