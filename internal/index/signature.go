package index

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/bundle/goroutines"
)

// SignatureForm names the spelling a searched signature was read as.
type SignatureForm string

// The spellings coroner has printed for a signature.
const (
	// FormCanonical is the cause, a colon and the key, as the index
	// stores it ("crash:v1:5192be24f55af9d8").
	FormCanonical SignatureForm = "canonical"
	// FormPrefix is a canonical prefix ending in '*'.
	FormPrefix SignatureForm = "prefix"
	// FormCrashKey is a crash key without its cause ("v1:5192be24f55af9d8"),
	// as coroner crash printed it.
	FormCrashKey SignatureForm = "crash key without its cause"
	// FormCrashHash is the key's hash alone ("5192be24f55af9d8"), as a
	// crash finding's ID ("crash/5192be24f55af9d8") carries it.
	FormCrashHash SignatureForm = "crash hash"
	// FormCulpritKey is a culprit signature without its cause
	// ("example.com/svc.(*Cache).Fill#1a2b3c4d").
	FormCulpritKey SignatureForm = "culprit key without its cause"
	// FormCrashText is the crash signature's short text
	// ("panic: boom @ main.f < main.g"), hashed back into its key.
	FormCrashText SignatureForm = "crash signature text"
)

// SignatureMatch says how a searched spelling was read: its form and the
// canonical signatures (or, for FormPrefix, the canonical prefix) it stands for.
type SignatureMatch struct {
	Given     string        `json:"given"`
	Form      SignatureForm `json:"form"`
	Canonical []string      `json:"canonical"`
}

// String describes the match for a person: `"v1:…" read as a crash key
// without its cause: crash:v1:…`.
func (m SignatureMatch) String() string {
	return fmt.Sprintf("signature %q read as %s: %s", m.Given, m.Form, strings.Join(m.Canonical, ", "))
}

var (
	crashKeyRE   = regexp.MustCompile(`^v[0-9]+:[0-9a-f]{16}$`)
	crashHashRE  = regexp.MustCompile(`^(crash/)?[0-9a-f]{16}$`)
	culpritKeyRE = regexp.MustCompile(`#[0-9a-f]{8}$`)
	// crashKindRE is a crash kind the goroutines readers give: the
	// runtime's "panic" and "fatal error", a fatal "signal", and "crash"
	// when none of them was named.
	crashKindRE = regexp.MustCompile(`^(panic|fatal error|signal|crash)$`)
)

// ResolveSignature reads s in any spelling coroner has printed and
// returns the canonical signatures it stands for. A text that is none of
// them is an error naming what was tried.
func ResolveSignature(s string) (SignatureMatch, error) {
	s = strings.TrimSpace(s)
	m := SignatureMatch{Given: s}
	switch {
	case s == "":
		return m, fmt.Errorf("empty signature")
	case strings.HasSuffix(s, "*"):
		p := strings.TrimSuffix(s, "*")
		if _, ok := analyze.SignatureCause(p); !ok && strings.HasPrefix(p, "v") && strings.Contains(p, ":") {
			p = analyze.CanonicalSignature(analyze.CauseCrash, p)
		}
		m.Form, m.Canonical = FormPrefix, []string{p + "*"}
	case crashKeyRE.MatchString(s):
		m.Form, m.Canonical = FormCrashKey, []string{analyze.CanonicalSignature(analyze.CauseCrash, s)}
	case crashHashRE.MatchString(s):
		key := fmt.Sprintf("v%d:%s", goroutines.SignatureVersion, strings.TrimPrefix(s, "crash/"))
		m.Form, m.Canonical = FormCrashHash, []string{analyze.CanonicalSignature(analyze.CauseCrash, key)}
	default:
		if _, ok := analyze.SignatureCause(s); ok {
			m.Form, m.Canonical = FormCanonical, []string{s}
			return m, nil
		}
		if culpritKeyRE.MatchString(s) {
			m.Form = FormCulpritKey
			for _, c := range analyze.Causes {
				if c != analyze.CauseCrash && c != analyze.CauseNone {
					m.Canonical = append(m.Canonical, analyze.CanonicalSignature(c, s))
				}
			}
			return m, nil
		}
		key, err := crashTextKey(s)
		if err != nil {
			return m, fmt.Errorf("signature %q is no spelling coroner prints (cause:key, v1:key, a 16-digit hash, function#hash, or a crash's short text): %w", s, err)
		}
		m.Form, m.Canonical = FormCrashText, []string{analyze.CanonicalSignature(analyze.CauseCrash, key)}
	}
	return m, nil
}

// crashTextKey hashes a crash signature's short text ("kind: message @
// frame < frame", goroutines.Signature) back into its key. A message cut
// short with "…" cannot be: its end is not in the text.
func crashTextKey(s string) (string, error) {
	head, frames := s, []string(nil)
	if i := strings.LastIndex(s, " @ "); i >= 0 {
		head, frames = s[:i], strings.Split(s[i+len(" @ "):], " < ")
	}
	kind, msg, _ := strings.Cut(head, ": ")
	if !crashKindRE.MatchString(kind) {
		return "", fmt.Errorf("no crash kind (panic, fatal error, signal …) before ': ' or ' @ '")
	}
	if strings.HasSuffix(msg, "…") {
		return "", fmt.Errorf("the message is cut short (…), so its hash cannot be recomputed; search by the key instead")
	}
	return goroutines.SignatureKey(kind, msg, frames), nil
}

// SearchSignature returns the runs q selects whose signature is spelled
// sig in any form ResolveSignature reads, newest incident first as Search
// orders them, and how sig was read. q.Signature is ignored.
func (d *DB) SearchSignature(ctx context.Context, sig string, q Query) ([]Run, SignatureMatch, error) {
	m, err := ResolveSignature(sig)
	if err != nil {
		return nil, m, err
	}
	var out []Run
	for _, c := range m.Canonical {
		q.Signature = c
		runs, err := d.Search(ctx, q)
		if err != nil {
			return nil, m, err
		}
		out = append(out, runs...)
	}
	if len(m.Canonical) > 1 {
		sort.SliceStable(out, func(i, j int) bool { return newerFirst(out[i], out[j]) })
		if q.Limit > 0 && len(out) > q.Limit {
			out = out[:q.Limit]
		}
	}
	return out, m, nil
}

// newerFirst is Search's order: incident time (or indexing time) newest
// first, then archive digest and analyzer set.
func newerFirst(a, b Run) bool {
	ta, tb := when(a), when(b)
	if !ta.Equal(tb) {
		return ta.After(tb)
	}
	if a.ArchiveDigest != b.ArchiveDigest {
		return a.ArchiveDigest < b.ArchiveDigest
	}
	return a.AnalyzerSet < b.AnalyzerSet
}
