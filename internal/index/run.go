package index

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/coroner/coroner/analyze"
)

// Run is one indexed analysis: an archive analyzed by one analyzer set.
type Run struct {
	ArchiveDigest string    `json:"archive_digest"`
	AnalyzerSet   string    `json:"analyzer_set"`
	IncidentID    string    `json:"incident_id,omitempty"`
	Title         string    `json:"title,omitempty"`
	Cause         string    `json:"cause"`
	Severity      string    `json:"severity"`
	Confidence    float64   `json:"confidence"`
	Headline      string    `json:"headline,omitempty"`
	Signature     string    `json:"signature,omitempty"`
	Culprit       string    `json:"culprit,omitempty"`
	CulpritSite   string    `json:"culprit_site,omitempty"`
	GoVersion     string    `json:"go_version,omitempty"`
	Module        string    `json:"module,omitempty"`
	VCSRevision   string    `json:"vcs_revision,omitempty"`
	Host          string    `json:"host,omitempty"`
	IncidentTime  time.Time `json:"incident_time,omitzero"`
	Tool          string    `json:"tool,omitempty"`
	// Source is where the run came from: the archive or result file.
	Source    string    `json:"source,omitempty"`
	IndexedAt time.Time `json:"indexed_at,omitzero"`
}

// SetVersion names an analyzer set by its members' names and versions: a
// short hex digest that changes whenever any analyzer's Version changes, is
// added or removed. Order does not matter.
func SetVersion(nameVersions map[string]string) string {
	names := make([]string, 0, len(nameVersions))
	for n := range nameVersions {
		names = append(names, n)
	}
	slices.Sort(names)
	h := sha256.New()
	for _, n := range names {
		h.Write([]byte(n + "@" + nameVersions[n] + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// SetVersionOf is SetVersion of an analyzer list.
func SetVersionOf(as []*analyze.Analyzer) string {
	m := make(map[string]string, len(as))
	for _, a := range as {
		m[a.Name] = a.Version
	}
	return SetVersion(m)
}

// SetVersionOfResult is SetVersion of the analyzers a result records.
func SetVersionOfResult(r *analyze.Result) string {
	m := make(map[string]string, len(r.Analyzers))
	for _, a := range r.Analyzers {
		m[a.Name] = a.Version
	}
	return SetVersion(m)
}

// Inventory attribute keys, in order of preference. The Go binary's sniffer
// records its build information (debug/buildinfo: GoVersion, Main.Path and
// the vcs.* settings, dots made underscores) under these; the host comes
// from an incident label or an artifact that names it.
var (
	goVersionKeys = []string{"go_version"}
	moduleKeys    = []string{"main_path", "module", "main_module"}
	revisionKeys  = []string{"vcs_revision", "vcs.revision", "revision"}
	hostKeys      = []string{"host", "hostname", "nodename"}
)

// kindRank orders artifacts by how authoritative their build facts are:
// the binary itself first, then the core (which names its executable).
var kindRank = map[string]int{"go-binary": 0, "core": 1}

// FromResult builds the index row for result r of analyzer set setVersion
// (SetVersionOfResult(r) when empty), read from source.
func FromResult(r *analyze.Result, setVersion, source string) Run {
	if setVersion == "" {
		setVersion = SetVersionOfResult(r)
	}
	run := Run{
		ArchiveDigest: r.Incident.ArchiveDigest,
		AnalyzerSet:   setVersion,
		IncidentID:    r.Incident.ID,
		Title:         r.Incident.Title,
		Cause:         r.Verdict.Cause,
		Severity:      r.Verdict.Severity.String(),
		Confidence:    r.Verdict.Confidence,
		Headline:      r.Verdict.Headline,
		Signature:     r.Verdict.Signature,
		IncidentTime:  r.Incident.Time.UTC(),
		Tool:          r.Tool,
		Source:        source,
	}
	if c := r.Verdict.Culprit; c != nil {
		run.Culprit = c.Function
		run.CulpritSite = c.String()
	}
	items := append([]analyze.Item(nil), r.Inventory...)
	sort.SliceStable(items, func(i, j int) bool { return rank(items[i].Kind) < rank(items[j].Kind) })
	run.GoVersion = attr(items, goVersionKeys)
	run.Module = attr(items, moduleKeys)
	run.VCSRevision = attr(items, revisionKeys)
	run.Host = r.Incident.Labels["host"]
	if run.Host == "" {
		run.Host = attr(items, hostKeys)
	}
	return run
}

func rank(kind string) int {
	if r, ok := kindRank[kind]; ok {
		return r
	}
	return len(kindRank)
}

// attr returns the first non-empty value of any key, trying keys in order
// across items in order.
func attr(items []analyze.Item, keys []string) string {
	for _, k := range keys {
		for _, it := range items {
			if v := strings.TrimSpace(it.Attrs[k]); v != "" {
				return v
			}
		}
	}
	return ""
}
