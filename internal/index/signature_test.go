package index

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/verdict"
	"github.com/coroner/coroner/bundle/goroutines"
)

// crashSignature is the signature the crash analyzer gives an index out of
// range three user frames deep, with the runtime's panic frames on top.
func crashSignature() (canonical, text string) {
	c := &goroutines.Crash{Kind: "panic", Message: "runtime error: index out of range [5] with length 3"}
	frames := []goroutines.Frame{{Func: "runtime.gopanic"}, {Func: "runtime.goPanicIndex"},
		{Func: "main.(*store).get"}, {Func: "main.handle.func1"}, {Func: "net/http.HandlerFunc.ServeHTTP"}, {Func: "main.main"}}
	text, key := goroutines.Signature(c, frames)
	return analyze.CanonicalSignature(analyze.CauseCrash, key), text
}

func TestSearchSignatureEverySpelling(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	crashSig, crashText := crashSignature()
	lockSig := verdict.Signature(analyze.Finding{Cause: analyze.CauseLockWait, Culprit: &analyze.Culprit{Function: "example.com/svc.(*Cache).Fill.func2"}})
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	if err := db.Add(ctx,
		Run{ArchiveDigest: "a1", AnalyzerSet: "s", Cause: "crash", Signature: crashSig, IncidentTime: t0},
		Run{ArchiveDigest: "a2", AnalyzerSet: "s", Cause: "crash", Signature: crashSig, IncidentTime: t0.Add(time.Hour)},
		Run{ArchiveDigest: "b1", AnalyzerSet: "s", Cause: "lock_wait", Signature: lockSig, IncidentTime: t0},
	); err != nil {
		t.Fatal(err)
	}
	hash := strings.TrimPrefix(crashSig, "crash:v1:")
	cases := []struct {
		given string
		form  SignatureForm
		want  string
	}{
		{crashSig, FormCanonical, "a2 a1"},
		{strings.TrimPrefix(crashSig, "crash:"), FormCrashKey, "a2 a1"},
		{hash, FormCrashHash, "a2 a1"},
		{"crash/" + hash, FormCrashHash, "a2 a1"},
		{crashText, FormCrashText, "a2 a1"},
		{"v1:" + hash[:6] + "*", FormPrefix, "a2 a1"},
		{lockSig, FormCanonical, "b1"},
		{strings.TrimPrefix(lockSig, "lock_wait:"), FormCulpritKey, "b1"},
		{"panic: something else @ main.other", FormCrashText, ""},
	}
	for _, c := range cases {
		runs, m, err := db.SearchSignature(ctx, c.given, Query{})
		if err != nil {
			t.Errorf("%q: %v", c.given, err)
			continue
		}
		var got []string
		for _, r := range runs {
			got = append(got, r.ArchiveDigest)
		}
		if m.Form != c.form || strings.Join(got, " ") != c.want {
			t.Errorf("%q read as %s %v found %v; want %s finding %q", c.given, m.Form, m.Canonical, got, c.form, c.want)
		}
	}
}

func TestResolveSignatureRefuses(t *testing.T) {
	for _, s := range []string{"", "   ", ": no kind", "panic: " + strings.Repeat("x", 80) + "… @ main.f"} {
		if m, err := ResolveSignature(s); err == nil {
			t.Errorf("%q read as %s %v, want an error", s, m.Form, m.Canonical)
		}
	}
}

// FuzzResolveSignature demands that any text either resolves to canonical
// signatures that start with a known cause, or is refused; never a panic.
func FuzzResolveSignature(f *testing.F) {
	sig, text := crashSignature()
	for _, s := range []string{sig, strings.TrimPrefix(sig, "crash:"), text, "gc_stw:x.f#1a2b3c4d", "x.f#1a2b3c4d", "v1:ab*", "none"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ResolveSignature(s)
		if err != nil {
			return
		}
		if len(m.Canonical) == 0 {
			t.Fatalf("%q: no canonical signature and no error", s)
		}
		for _, c := range m.Canonical {
			if _, ok := analyze.SignatureCause(c); !ok && m.Form != FormPrefix {
				t.Errorf("%q → %q names no cause", s, c)
			}
		}
	})
}
