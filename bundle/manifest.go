package bundle

import "time"

// FormatVersion is the archive format this package writes. Readers accept
// archives whose major version they know.
const FormatVersion = 1

// Manifest is the first member of every archive: what it holds and what
// sniffing learned, so listing never reads past it.
type Manifest struct {
	FormatVersion int               `json:"format_version"`
	ID            string            `json:"id"`
	Title         string            `json:"title,omitempty"`
	Labels        map[string]string `json:"labels,omitempty"`
	// Time is the incident's time as the artifacts tell it (profile and
	// trace timestamps, core file times), never the ingest clock.
	Time      time.Time  `json:"time,omitzero"`
	Tool      string     `json:"tool"`
	Artifacts []Artifact `json:"artifacts"`
	Warnings  []string   `json:"warnings,omitempty"`
	Capture   *Capture   `json:"capture,omitempty"`
}

// Artifact describes one stored file.
type Artifact struct {
	// Path is the member name inside the archive, e.g. "artifacts/core/core.1234".
	Path string `json:"path"`
	Kind Kind   `json:"kind"`
	// Size is the stored (decompressed) size in bytes.
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Original is the name the file had in the input, relative to it.
	Original string `json:"original"`
	// Also lists further original names whose content was identical and so
	// stored once.
	Also []string `json:"also,omitempty"`
	// Compression names the wrapper the input had ("zstd", "gzip", "xz",
	// "lz4") before coroner unwrapped it; empty when stored as given.
	Compression string `json:"compression,omitempty"`
	// Attrs holds what sniffing learned, e.g. "go_version", "build_id",
	// "sample_types", "signal". Keys are snake_case and stable.
	Attrs map[string]string `json:"attrs,omitempty"`
}

// Capture records how coroner collect produced the inputs: each step and
// its outcome, so a reader knows what is missing and why.
type Capture struct {
	Target  string        `json:"target,omitempty"`
	PID     int           `json:"pid,omitempty"`
	Partial bool          `json:"partial,omitempty"`
	Steps   []CaptureStep `json:"steps"`
}

// CaptureStep is one capture action and what came of it.
type CaptureStep struct {
	Name   string   `json:"name"`
	Status string   `json:"status"` // "ok", "skipped", "failed"
	Reason string   `json:"reason,omitempty"`
	Files  []string `json:"files,omitempty"`
	// Method says how the step got its data where there is a choice; for
	// the core step: "gcore" (a debugger's snapshot of a live process),
	// "abort" (SIGABRT sent by the capture itself), or "runtime" (the
	// target died and left its own core).
	Method   string `json:"method,omitempty"`
	Duration string `json:"duration,omitempty"`
}

// Artifact returns the artifact stored under the member name path.
func (m *Manifest) Artifact(path string) (Artifact, bool) {
	for _, a := range m.Artifacts {
		if a.Path == path {
			return a, true
		}
	}
	return Artifact{}, false
}

// CoreAborted reports whether the capture says it took the core by
// sending the target SIGABRT itself (the core step's Method "abort"). It
// adds certainty to what the core itself shows (the signal's sender, read
// from the core by bundle/gocore) and hints that the core can be read in
// place; it never decides on its own that a SIGABRT was no crash.
func (m *Manifest) CoreAborted() bool {
	if m.Capture == nil {
		return false
	}
	for _, st := range m.Capture.Steps {
		if st.Name == "core" && st.Method == "abort" {
			return true
		}
	}
	return false
}

// ArtifactsOf returns the artifacts of kind k in manifest order.
func (m *Manifest) ArtifactsOf(k Kind) []Artifact {
	var out []Artifact
	for _, a := range m.Artifacts {
		if a.Kind == k {
			out = append(out, a)
		}
	}
	return out
}
