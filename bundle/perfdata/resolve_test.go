package perfdata

import (
	"strings"
	"testing"

	"github.com/coroner/coroner/bundle/symbolize"
)

// TestVDSOChoice checks when [vdso] frames are named from this machine's
// vDSO: by a matching build ID, or — pipe mode sends none for [vdso] — by
// the recording naming this kernel's release; never otherwise.
func TestVDSOChoice(t *testing.T) {
	local, err := symbolize.LocalVDSO()
	if err != nil {
		t.Skipf("no vDSO here: %v", err)
	}
	rel := localRelease()
	if rel == "" {
		t.Skip("kernel release unreadable")
	}
	cases := []struct {
		name, buildID, release string
		use                    bool
		warning                string
	}{
		{"build ID matches", local.BuildID, "", true, ""},
		{"build ID differs", strings.Repeat("0", 40), rel, false, "is not this kernel's"},
		{"no build ID, same release", "", rel, true, "same kernel release"},
		{"no build ID, other release", "", rel + "-other", false, "is not this machine's"},
		{"no build ID, no release", "", "", false, "is not this machine's"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newResolver(nil, &Features{OSRelease: c.release})
			defer r.close()
			b := r.pick(&mapping{file: "[vdso]", buildID: c.buildID})
			if got := b != nil; got != c.use {
				t.Fatalf("vDSO used: %v, want %v", got, c.use)
			}
			w := strings.Join(r.warnings, "\n")
			if (c.warning == "") != (w == "") || !strings.Contains(w, c.warning) {
				t.Errorf("warnings %q, want one containing %q", w, c.warning)
			}
		})
	}
}
