package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/version"
)

// manifest builds the manifest of the stored candidates. With provisional
// set, hashes and the ID are placeholders of their final length: the
// result bounds the final manifest's size, for which space is reserved.
func (c *gatherer) manifest(o Options, stored []*candidate, provisional bool) *bundle.Manifest {
	m := &bundle.Manifest{FormatVersion: bundle.FormatVersion, ID: o.ID, Title: o.Title, Labels: o.Labels,
		Tool: version.Tool(), Capture: o.Capture, Warnings: c.warningList()}
	ids := sha256.New()
	for _, cd := range stored {
		sha := cd.sha
		if provisional {
			sha = strings.Repeat("0", 64)
		}
		also := append([]string(nil), cd.also...)
		slices.Sort(also)
		m.Artifacts = append(m.Artifacts, bundle.Artifact{Path: cd.name, Kind: cd.kind, Size: cd.size, SHA256: sha,
			Original: cd.original, Also: also, Compression: cd.compression, Attrs: cd.attrs})
		ids.Write([]byte(sha))
		if t, err := time.Parse(time.RFC3339Nano, cd.attrs["time"]); err == nil && (m.Time.IsZero() || t.Before(m.Time)) {
			m.Time = t.UTC()
		}
	}
	if provisional && !m.Time.IsZero() {
		m.Time = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC) // longest encoding
	}
	if m.ID == "" {
		m.ID = "inc-" + hex.EncodeToString(ids.Sum(nil))[:16]
	}
	return m
}
