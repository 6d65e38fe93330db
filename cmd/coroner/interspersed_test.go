package main

import (
	"slices"
	"testing"
)

func TestInterspersed(t *testing.T) {
	app := newApp()
	cases := []struct{ in, want []string }{
		{[]string{"coroner", "crash", "INC.tar.zst", "--json"}, []string{"coroner", "crash", "--json", "INC.tar.zst"}},
		{[]string{"coroner", "extract", "INC.tar.zst", "-C", "out", "manifest.json"}, []string{"coroner", "extract", "-C", "out", "INC.tar.zst", "manifest.json"}},
		{[]string{"coroner", "--log-format", "json", "analyze", "a.zip", "--format", "json,md", "-o", "out"},
			[]string{"coroner", "--log-format", "json", "analyze", "--format", "json,md", "-o", "out", "a.zip"}},
		{[]string{"coroner", "ingest", "-o", "x.tar.zst", "-"}, []string{"coroner", "ingest", "-o", "x.tar.zst", "-"}},
		{[]string{"coroner", "collect", "--exec", "-o", "x", "--", "./svc", "-addr", ":1"}, []string{"coroner", "collect", "--exec", "-o", "x", "--", "./svc", "-addr", ":1"}},
		{[]string{"coroner", "ls", "--output=ignored", "x"}, []string{"coroner", "ls", "--output=ignored", "x"}},
	}
	for _, c := range cases {
		if got := interspersed(app, c.in); !slices.Equal(got, c.want) {
			t.Errorf("interspersed(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}
