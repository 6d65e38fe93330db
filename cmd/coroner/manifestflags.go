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

// manifestFlags are the flags of the commands that write an archive
// (collect, ingest) that name the incident in its manifest.
func manifestFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "id", Usage: "incident ID for the manifest (default: derived from the content)"},
		&cli.StringFlag{Name: "title", Usage: "incident title for the manifest"},
		&cli.StringSliceFlag{Name: "label", Usage: "label `KEY=VALUE` for the manifest (repeatable)"},
	}
}
