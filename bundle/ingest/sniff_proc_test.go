package ingest

import (
	"bytes"
	"os"
	"testing"

	"github.com/coroner/coroner/bundle"
)

// TestSniffProcFiles: this process's own /proc files and the kernel's
// kallsyms, as the kernel writes them, are told by their text rows.
func TestSniffProcFiles(t *testing.T) {
	for path, want := range map[string]bundle.Kind{
		"/proc/self/maps":    bundle.KindProcMaps,
		"/proc/self/limits":  bundle.KindProcLimits,
		"/proc/self/status":  bundle.KindProcStatus,
		"/proc/self/environ": bundle.KindEnviron,
		"/proc/kallsyms":     bundle.KindKallsyms,
	} {
		b, err := os.ReadFile(path)
		if err != nil || len(b) == 0 {
			t.Logf("%s: unreadable here (%v, %d bytes); not checked", path, err, len(b))
			continue
		}
		if k, a, w := Sniff(bytes.NewReader(b), int64(len(b))); k != want || len(w) != 0 {
			t.Errorf("%s: sniffed %s %v %q, want %s", path, k, a, w, want)
		}
	}
}
