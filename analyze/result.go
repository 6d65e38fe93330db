package analyze

import "time"

// SchemaVersion is the version of the JSON result schema
// (reports/schema/result.schema.json). Bump it on any incompatible change.
const SchemaVersion = 1

// Result is everything one analysis produced; renderers are pure functions
// of it, and it round-trips through JSON so reports can be re-rendered.
type Result struct {
	SchemaVersion int       `json:"schema_version"`
	Tool          string    `json:"tool"`
	Incident      Incident  `json:"incident"`
	Verdict       Verdict   `json:"verdict"`
	Findings      []Finding `json:"findings"`
	Inventory     []Item    `json:"inventory"`
	Analyzers     []Run     `json:"analyzers"`
	// Views hold the data behind the report's pictures.
	Flame *FlameNode `json:"flame,omitempty"`
	// FlameUnit says what Flame's values count: "ns" of CPU time or
	// "samples"; empty when unknown.
	FlameUnit  string   `json:"flame_unit,omitempty"`
	Pauses     []Pause  `json:"pauses,omitempty"`
	Goroutines []Group  `json:"goroutine_groups,omitempty"`
	Warnings   []string `json:"warnings,omitempty"`
	// Lines holds per-line samples for source listings; Source the
	// listings, when source trees were given.
	Lines  *LineSamples `json:"line_samples,omitempty"`
	Source *SourceView  `json:"source,omitempty"`
}

// Incident identifies what was analyzed.
type Incident struct {
	ID     string            `json:"id"`
	Title  string            `json:"title,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
	Time   time.Time         `json:"time,omitzero"`
	// ArchiveDigest is the SHA-256 of the archive's manifest member, the
	// archive's content ID.
	ArchiveDigest string `json:"archive_digest"`
}

// Verdict is the ranked conclusion: one primary cause and its contributors.
type Verdict struct {
	// Cause is one of the Cause* constants.
	Cause      string   `json:"cause"`
	Headline   string   `json:"headline"`
	Severity   Severity `json:"severity"`
	Confidence float64  `json:"confidence"`
	Culprit    *Culprit `json:"culprit,omitempty"`
	// FindingID is the primary finding.
	FindingID string `json:"finding_id,omitempty"`
	// Chain is the evidence chain, in reading order.
	Chain []string `json:"chain,omitempty"`
	// Secondary lists contributing findings' IDs, most important first.
	Secondary []string `json:"secondary,omitempty"`
	// Signature deduplicates incidents: same bug, same signature.
	Signature string `json:"signature,omitempty"`
	// SignatureVersion is the version of the signature algorithm.
	SignatureVersion int `json:"signature_version,omitempty"`
}

// Item is one inventory line: an artifact and what it was recognized as.
type Item struct {
	Path    string            `json:"path"`
	Kind    string            `json:"kind"`
	Size    int64             `json:"size"`
	SHA256  string            `json:"sha256"`
	BuildID string            `json:"build_id,omitempty"`
	Attrs   map[string]string `json:"attrs,omitempty"`
}

// Run records one analyzer's execution.
type Run struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Status is "ok", "failed", "skipped" (a prerequisite failed) or "timeout".
	Status string   `json:"status"`
	Error  string   `json:"error,omitempty"`
	Used   []string `json:"used,omitempty"`
}

// FlameNode is a node of the merged CPU profile's call tree.
type FlameNode struct {
	Name     string       `json:"name"`
	Value    int64        `json:"value"` // samples (or ns) including children
	Children []*FlameNode `json:"children,omitempty"`
}

// Pause is one stop-the-world pause for the GC timeline.
type Pause struct {
	// At is the offset from the start of the recording.
	At       time.Duration `json:"at_ns"`
	Duration time.Duration `json:"duration_ns"`
	Kind     string        `json:"kind"` // "sweep termination", "mark termination", "stw", …
	Source   string        `json:"source"`
}

// Group is a bucket of goroutines with identical normalized stacks.
type Group struct {
	Count      int      `json:"count"`
	Status     string   `json:"status"`
	WaitReason string   `json:"wait_reason,omitempty"`
	MaxWaitMin int      `json:"max_wait_minutes,omitempty"`
	Frames     []string `json:"frames"`
	CreatedBy  string   `json:"created_by,omitempty"`
	System     bool     `json:"system,omitempty"`
}
