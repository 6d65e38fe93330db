package perfdata

import (
	"slices"
	"testing"
)

// TestAddBinary: a binary is found by its build ID, every name it had and
// their base names; only Go binaries select the process to read.
func TestAddBinary(t *testing.T) {
	var o Options
	o.AddBinary("/cache/a", "abc123", []string{"/srv/bin/checkout", "/tmp/checkout.old"}, true)
	o.AddBinary("/cache/b", "", []string{"/usr/lib/libc.so.6"}, false)
	for key, want := range map[string]string{"abc123": "/cache/a", "/srv/bin/checkout": "/cache/a", "checkout": "/cache/a",
		"checkout.old": "/cache/a", "/usr/lib/libc.so.6": "/cache/b", "libc.so.6": "/cache/b"} {
		if got := o.Binaries[key]; got != want {
			t.Errorf("Binaries[%q] = %q, want %q", key, got, want)
		}
	}
	if !slices.Equal(o.Select.BuildIDs, []string{"abc123"}) || !slices.Equal(o.Select.Names, []string{"checkout", "checkout.old"}) {
		t.Errorf("select %+v: want the Go binary's build ID and names only", o.Select)
	}
}
