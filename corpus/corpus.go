// Package corpus describes coroner's incident corpus: one small Go service
// per root cause under scenarios/, each with the verdict an analysis of
// its capture must reach in scenarios/<name>/expected.json.
package corpus

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Expected is a scenario's expected verdict.
type Expected struct {
	// Scenario is the directory name under scenarios/.
	Scenario string `json:"scenario"`
	// Primary is the verdict cause: gc_stw, netpoll_spin,
	// syncpool_contention, lock_wait, crash, deadlock or none.
	Primary string `json:"primary"`
	// Secondary lists causes an analysis may also report without being
	// wrong (the pathology's side effects).
	Secondary []string `json:"secondary"`
	// Culprits are the functions of the scenario's own code a correct
	// report blames, most specific first.
	Culprits []string `json:"culprits"`
	// CrashSite is the function that panicked, for crash scenarios.
	CrashSite string `json:"crash_site,omitempty"`
	// Panic is the start of the panic message, for crash scenarios.
	Panic string `json:"panic,omitempty"`
}

// ScenariosDir returns the scenarios directory relative to the module
// root, for callers that run from there.
const ScenariosDir = "corpus/scenarios"

// Load reads every scenarios/<name>/expected.json under dir, sorted by name.
func Load(dir string) ([]Expected, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "*", "expected.json"))
	if err != nil {
		return nil, err
	}
	var out []Expected
	for _, m := range matches {
		e, err := LoadOne(m)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Scenario < out[j].Scenario })
	return out, nil
}

// LoadOne reads one expected.json and checks it names its directory.
func LoadOne(path string) (Expected, error) {
	var e Expected
	b, err := os.ReadFile(path)
	if err != nil {
		return e, err
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return e, fmt.Errorf("%s: %w", path, err)
	}
	if want := filepath.Base(filepath.Dir(path)); e.Scenario != want {
		return e, fmt.Errorf("%s: scenario %q, want the directory name %q", path, e.Scenario, want)
	}
	switch e.Primary {
	case "gc_stw", "netpoll_spin", "syncpool_contention", "lock_wait", "crash", "deadlock", "none":
	default:
		return e, fmt.Errorf("%s: primary %q is not a verdict cause", path, e.Primary)
	}
	return e, nil
}
