package reports

import (
	"maps"
	"slices"
)

// sortedKeys returns m's keys in order, for deterministic output.
func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
