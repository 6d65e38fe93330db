package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/census"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/goroutines"
)

func init() {
	register(&cli.Command{
		Name:      "goroutines",
		Usage:     "goroutine census of an archive: from its core, crash log or goroutine dumps",
		ArgsUsage: "ARCHIVE|LOG",
		Description: `Lists every goroutine with its state, wait reason, how long it waited, the user
frame it is in and where it was created; --group buckets identical stacks. The
census comes from the most complete source in the archive: a core (read with
delve in a child process), a crash or SIGQUIT log, pprof goroutine debug=2
(which runtime/pprof cuts at 64 MiB: detected and reported), debug=1, or the
binary goroutine profile.

Filters (--filter, repeatable, all must match): user, system, crashed,
status=waiting, wait=TEXT, func=TEXT, file=TEXT, created=TEXT, min-wait=MINUTES,
label:KEY=VALUE.

The input may also be a single service log or goroutine dump, read where it
lies without an archive: a log plain or as a host stored it (CRI, Docker
json-file, journalctl short or json, syslog, kubectl --timestamps), of which
only the head and the tail (the last MiB, further back up to 64 MiB while the
last traceback is not whole) are read, and whose last traceback counts.

Exit codes: 0 listed; 2 bad usage or filter; 3 unreadable archive or no
goroutine source in it.`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "group", Usage: "bucket goroutines with identical normalized stacks"},
			&cli.StringSliceFlag{Name: "filter", Usage: "keep goroutines matching `EXPR` (repeatable)"},
			jsonFlag("print the census (or groups) as JSON"),
			forceCoreFlag(),
			debugBinaryFlag(""),
		},
		Action: withShown(showGoroutines),
	})
}

func showGoroutines(c *cli.Context, a analyze.Source) error {
	r, _, warns, err := census.ReadWith(c.Context, a, analyze.Options{Force: c.Bool("force"), DebugBinary: debugBinary(c)})
	if err = checkCensus(c, r, warns, err, "core or goroutine dump"); err != nil {
		return err
	}
	census, groups := r.Census, r.Groups
	if fs := c.StringSlice("filter"); len(fs) > 0 {
		if census, err = goroutines.Filter(r.Census, fs); err != nil {
			return withCode(exitUsage, err)
		}
		groups = goroutines.Group(census)
	}
	w := c.App.Writer
	if c.Bool("json") {
		if c.Bool("group") {
			return writeJSONOut(w, struct {
				Source   string              `json:"source"`
				Format   string              `json:"format"`
				Complete bool                `json:"complete"`
				Warnings []string            `json:"warnings,omitempty"`
				Groups   []goroutines.Bucket `json:"groups"`
			}{census.Source, census.Format, census.Complete, census.Warnings, groups})
		}
		return writeCensusJSON(w, census)
	}
	printCensusHeader(w, census)
	if c.Bool("group") {
		return printGroups(w, groups)
	}
	return printGoroutines(w, census)
}

// coreWarning writes a warning line to stderr in the chosen log format.
func coreWarning(msg string) {
	if logFormat == "json" {
		writeJSONLine(os.Stderr, "level", "warning", "msg", msg)
		return
	}
	fmt.Fprintf(os.Stderr, "coroner: warning: %s\n", msg)
}

func printCensusHeader(w io.Writer, c *goroutines.Census) {
	s := goroutines.Summarize(c)
	fmt.Fprintf(w, "source   %s (%s)", bundle.DisplayName(c.Source), c.Format)
	if !c.Complete {
		fmt.Fprint(w, ", INCOMPLETE")
	}
	fmt.Fprintln(w)
	if c.Reader != "" || c.GoVersion != "" {
		fmt.Fprintf(w, "reader   %s; program built with %s\n", c.Reader, bundle.DisplayName(c.GoVersion))
	}
	fmt.Fprintf(w, "total    %d goroutines: %d user, %d system\n", s.Total, s.User, s.System)
	for _, msg := range c.Warnings {
		fmt.Fprintf(w, "warning  %s\n", bundle.DisplayName(msg))
	}
}

func printGroups(w io.Writer, gs []goroutines.Bucket) error {
	tbl := newTable(w)
	tbl.Header("Count", "State", "Wait", "User frame", "Created by", "Kind")
	for _, g := range gs {
		kind := "user"
		if g.System {
			kind = "system"
		}
		if g.Crashed {
			kind += ", crashed"
		}
		if len(g.LockAddrs) > 0 {
			kind += ", on " + addrs(g.LockAddrs)
		}
		row := []string{strconv.Itoa(g.Count), state(g.Status, g.WaitReason), waitRange(g.MinWait, g.MaxWait),
			frameCell(userFrame(g.Frames)), frameCell(g.CreatedBy), kind}
		if err := tbl.Append(row); err != nil {
			return fmt.Errorf("table: %w", err)
		}
	}
	return tbl.Render()
}

func state(status, reason string) string {
	if reason != "" {
		return bundle.DisplayName(reason)
	}
	return bundle.DisplayName(status)
}

func waitRange(lo, hi int) string {
	switch {
	case hi < 0:
		return ""
	case lo == hi || lo < 0:
		return fmt.Sprintf("%dm", hi)
	}
	return fmt.Sprintf("%d–%dm", lo, hi)
}

// userFrame is the innermost frame outside the runtime and standard
// library, else the innermost frame.
func userFrame(fs []goroutines.Frame) *goroutines.Frame {
	if f := goroutines.TopUserFrame(fs); f != nil {
		return f
	}
	if len(fs) > 0 {
		return &fs[0]
	}
	return nil
}

func frameCell(f *goroutines.Frame) string {
	if f == nil {
		return ""
	}
	if f.File == "" {
		return bundle.DisplayName(f.Func)
	}
	return bundle.DisplayName(fmt.Sprintf("%s %s:%d", f.Func, shortFile(f.File), f.Line))
}

// shortFile keeps the last two path elements.
func shortFile(p string) string {
	parts := strings.Split(p, "/")
	if len(parts) > 2 {
		return strings.Join(parts[len(parts)-2:], "/")
	}
	return p
}

func labels(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var kv []string
	for _, k := range keys {
		kv = append(kv, bundle.DisplayName(k+"="+l[k]))
	}
	return strings.Join(kv, " ")
}

func addrs(a []uint64) string {
	var s []string
	for i, x := range a {
		if i == 3 {
			s = append(s, fmt.Sprintf("+%d", len(a)-3))
			break
		}
		s = append(s, fmt.Sprintf("%#x", x))
	}
	return strings.Join(s, " ")
}
