package census

import (
	"debug/elf"
	"fmt"
	"strings"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/gocore"
)

// debugTwin picks the debug twin a core's executable is read with, when
// the executable has no DWARF: the one named by --debug-binary, else the
// archived go-debug-binary whose code matches (gocore.MatchTwin). It
// returns "" when the executable has DWARF or no twin is at hand; a twin
// that does not match is an error naming both files and what differs.
func debugTwin(pass *analyze.Pass, exePath string) (string, error) {
	if pass.DebugBinary != "" {
		return pass.DebugBinary, nil
	}
	twins := pass.Artifacts(bundle.KindGoDebugBinary)
	if len(twins) == 0 || hasDWARF(exePath) {
		return "", nil
	}
	var why []string
	for _, t := range twins {
		p, err := pass.Path(t)
		if err != nil {
			return "", err
		}
		err = gocore.MatchTwin(exePath, p)
		if err == nil {
			pass.Used(t.Path)
			return p, nil
		}
		why = append(why, err.Error())
	}
	return "", fmt.Errorf("no archived debug binary matches the executable: %s", strings.Join(why, "; "))
}

// hasDWARF reports whether the executable at path carries DWARF (an
// unreadable one counts as having it: the census reports why).
func hasDWARF(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return true
	}
	defer f.Close()
	return f.Section(".debug_info") != nil || f.Section(".zdebug_info") != nil
}
