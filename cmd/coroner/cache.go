package main

import (
	"fmt"
	"io"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/urfave/cli/v2"

	"github.com/coroner/coroner/bundle"
)

func init() {
	register(&cli.Command{
		Name:  "cache",
		Usage: "list, prune or clear the extraction cache",
		Description: `Artifacts read as files (a core for delve, a binary, a perf.data) are extracted once into
the cache ($CORONER_CACHE_DIR, else coroner/ in the user cache directory), keyed by their
SHA-256, and evicted least recently used to stay within --cache-max. Entries a running coroner
uses are never removed.

Exit codes: 0 done; 2 bad usage; 4 the cache could not be read or written.`,
		Subcommands: []*cli.Command{
			{
				Name:   "ls",
				Usage:  "show the entries: key, size, disk use, last use, in use",
				Flags:  []cli.Flag{jsonFlag("print the entries as JSON")},
				Action: runCacheLs,
			},
			{
				Name:   "prune",
				Usage:  "evict least recently used entries down to the bound (or --max)",
				Flags:  []cli.Flag{&cli.StringFlag{Name: "max", Usage: "bound to prune to: a `SIZE` or a percentage (default --cache-max)"}},
				Action: runCachePrune,
			},
			{
				Name:   "clear",
				Usage:  "remove every entry not in use",
				Action: runCacheClear,
			},
		},
	})
}

// openCacheFor opens the cache under the bound spec (--cache-max, or a
// subcommand's --max).
func openCacheFor(c *cli.Context, spec string) (*bundle.Cache, error) {
	if c.NArg() > 0 {
		return nil, withCode(exitUsage, fmt.Errorf("cache %s: takes no arguments", c.Command.Name))
	}
	bound, err := bundle.ParseCacheBound(spec)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	dir, err := bundle.CacheDir()
	if err != nil {
		return nil, withCode(exitInternal, err)
	}
	cache, err := bundle.OpenCache(dir, bound)
	return cache, withCode(exitInternal, err)
}

func runCacheLs(c *cli.Context) error {
	cache, err := openCacheFor(c, c.String("cache-max"))
	if err != nil {
		return err
	}
	ents, err := cache.List()
	if err != nil {
		return withCode(exitInternal, err)
	}
	limit, how, err := cache.Limit()
	if err != nil {
		return withCode(exitInternal, err)
	}
	if c.Bool("json") {
		if ents == nil {
			ents = []bundle.CacheEntry{}
		}
		return writeJSONOut(c.App.Writer, struct {
			Dir     string              `json:"dir"`
			Limit   int64               `json:"limit"`
			Entries []bundle.CacheEntry `json:"entries"`
		}{cache.Dir(), limit, ents})
	}
	return printCache(c.App.Writer, cache.Dir(), limit, how, ents)
}

// printCache writes the cache's header and one row per entry, most
// recently used last.
func printCache(w io.Writer, dir string, limit int64, how string, ents []bundle.CacheEntry) error {
	var disk int64
	for _, e := range ents {
		disk += e.Disk
	}
	fmt.Fprintf(w, "cache    %s\nuse      %s on disk in %d entries\nbound    %s: %s\n", dir, humanize.IBytes(uint64(disk)), len(ents), humanize.IBytes(uint64(limit)), how)
	if len(ents) == 0 {
		return nil
	}
	tbl := newTable(w)
	tbl.Header("Key", "Size", "Disk", "Last use", "In use")
	for _, e := range ents {
		use := ""
		switch {
		case e.Legacy:
			use = "earlier layout"
		case e.InUse:
			use = "yes"
		}
		row := []string{e.Key, humanize.IBytes(uint64(e.Size)), humanize.IBytes(uint64(e.Disk)), e.LastUse.UTC().Format(time.DateTime), use}
		if err := tbl.Append(row); err != nil {
			return fmt.Errorf("table: %w", err)
		}
	}
	if err := tbl.Render(); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	return nil
}

func runCachePrune(c *cli.Context) error {
	spec := c.String("max")
	if spec == "" {
		spec = c.String("cache-max")
	}
	return evictAndPrint(c, spec, func(cache *bundle.Cache) (bundle.PruneResult, error) { return cache.Prune(-1) })
}

func runCacheClear(c *cli.Context) error {
	return evictAndPrint(c, c.String("cache-max"), (*bundle.Cache).Clear)
}

// evictAndPrint opens the cache under the bound spec, evicts from it as
// evict says, and prints what that removed and kept.
func evictAndPrint(c *cli.Context, spec string, evict func(*bundle.Cache) (bundle.PruneResult, error)) error {
	cache, err := openCacheFor(c, spec)
	if err != nil {
		return err
	}
	res, err := evict(cache)
	if err != nil {
		return withCode(exitInternal, err)
	}
	printPruned(c.App.Writer, res)
	return nil
}

// printPruned says what an eviction removed and kept.
func printPruned(w io.Writer, res bundle.PruneResult) {
	var freed int64
	for _, e := range res.Evicted {
		freed += e.Disk
	}
	fmt.Fprintf(w, "evicted %d entries (%s); the cache holds %s (bound %s)\n",
		len(res.Evicted), humanize.IBytes(uint64(freed)), humanize.IBytes(uint64(res.Disk)), humanize.IBytes(uint64(res.Limit)))
	if n := len(res.KeptInUse); n > 0 {
		fmt.Fprintf(w, "kept %d entries in use by a running coroner\n", n)
	}
}
