package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// manifestLabels parses the repeatable --label KEY=VALUE of the commands
// that write an archive (collect, ingest); nil when none is given. A
// malformed one is a usage error.
func manifestLabels(c *cli.Context) (map[string]string, error) {
	var labels map[string]string
	for _, kv := range c.StringSlice("label") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, withCode(exitUsage, fmt.Errorf("--label %q: want KEY=VALUE", kv))
		}
		if labels == nil {
			labels = map[string]string{}
		}
		labels[k] = v
	}
	return labels, nil
}
