package version

import (
	"runtime/debug"
	"testing"
)

func TestResolve(t *testing.T) {
	mod := func(v string) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Path: "github.com/coroner/coroner", Version: v}}
	}
	for _, c := range []struct {
		stamped string
		bi      *debug.BuildInfo
		want    string
	}{
		{"v0.3.1", mod("v0.2.0"), "v0.3.1"},                                  // -ldflags wins
		{unstamped, mod("v0.2.0"), "v0.2.0"},                                 // go install …@v0.2.0
		{unstamped, mod("v0.0.0-20261206-abcdef"), "v0.0.0-20261206-abcdef"}, // @latest off a commit
		{unstamped, mod("(devel)"), unstamped},
		{unstamped, mod(""), unstamped},
		{unstamped, nil, unstamped},
	} {
		if got := resolve(c.stamped, c.bi); got != c.want {
			t.Errorf("resolve(%q, %v) = %q, want %q", c.stamped, c.bi, got, c.want)
		}
	}
}
