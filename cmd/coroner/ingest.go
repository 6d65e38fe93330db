package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/dustin/go-humanize"
	"github.com/urfave/cli/v2"

	"github.com/coroner/coroner/bundle/ingest"
)

func init() {
	d := ingest.DefaultLimits()
	register(&cli.Command{
		Name:      "ingest",
		Usage:     "pack incident files into one checksummed, deterministic archive",
		ArgsUsage: "INPUT...",
		Description: `INPUT is a directory (walked recursively; symlinks, devices and FIFOs are skipped),
a file, a .tar, .tar.gz/.tgz, .tar.zst or .zip attachment (one level of archives nested
inside it is expanded too), or - for a tar on standard input. Each file is recognized by its
content: Go executable, ELF core, perf.data, pprof profile, execution trace, gctrace log,
goroutine dump, kallsyms, /proc files; compressed files (zstd, gzip, xz, lz4) are unwrapped.
Identical files are stored once. The same inputs always give a byte-identical archive.

The archive is written under a temporary name and renamed when complete: on any error or
interrupt nothing is left under the output name.

Exit codes: 0 written; 2 bad usage; 3 an input is unreadable, malformed or over a limit;
4 the archive could not be written.`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "incident.tar.zst", Usage: "archive to write: a path, or an object-store URL (s3://, gs://, azblob://, file://)"},
			&cli.StringFlag{Name: "max-total", Value: humanize.IBytes(uint64(d.MaxTotalBytes)), Usage: "limit on all decompressed bytes"},
			&cli.StringFlag{Name: "max-member", Value: humanize.IBytes(uint64(d.MaxMemberBytes)), Usage: "limit on one file's decompressed bytes"},
			&cli.IntFlag{Name: "max-members", Value: d.MaxMembers, Usage: "limit on the number of entries in all inputs"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress lines on stderr"},
			&cli.StringSliceFlag{Name: "debug-binary", Usage: "archive `FILE`, an unstripped build of a stripped executable among the inputs (same revision, without -ldflags=-s -w), to read its cores with (repeatable)"},
		}, manifestFlags()...),
		Action: runIngest,
	})
}

func runIngest(c *cli.Context) error {
	if err := checkArgs(c, atLeastOne, "INPUT"); err != nil {
		return err
	}
	lim, err := limitsFlags(c)
	if err != nil {
		return withCode(exitUsage, err)
	}
	labels, err := manifestLabels(c)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	local, publish, cleanup, err := ingestDestination(c.String("output"))
	if err != nil {
		return withCode(exitInternal, err)
	}
	defer cleanup()
	o := ingest.Options{
		Inputs: c.Args().Slice(), DebugBinaries: c.StringSlice("debug-binary"), Stdin: os.Stdin, Output: local,
		ID: c.String("id"), Title: c.String("title"), Labels: labels, Limits: lim,
	}
	if !c.Bool("quiet") {
		o.Log = logLine
	}
	m, err := ingest.Run(ctx, o)
	if err != nil {
		return withCode(ingestCode(ctx, err), err)
	}
	if err := publish(ctx); err != nil {
		return withCode(exitInternal, err)
	}
	fmt.Fprintf(c.App.Writer, "%s\t%s\t%d artifacts\n", displayName(c.String("output")), m.ID, len(m.Artifacts))
	return nil
}

// ingestCode classifies an ingest error: interrupted, a bad input, or a
// failure to write the destination.
func ingestCode(ctx context.Context, err error) int {
	switch {
	case ctx.Err() != nil:
		return exitInternal
	case ingest.IsInputError(err):
		return exitInput
	}
	return exitInternal
}

// limitsFlags reads --max-total, --max-member and --max-members.
func limitsFlags(c *cli.Context) (ingest.Limits, error) {
	var lim ingest.Limits
	for _, f := range []struct {
		name string
		dst  *int64
	}{{"max-total", &lim.MaxTotalBytes}, {"max-member", &lim.MaxMemberBytes}} {
		n, err := humanize.ParseBytes(c.String(f.name))
		if err != nil || n == 0 || n > 1<<62 {
			return lim, fmt.Errorf("--%s %q: want a size such as 64GiB", f.name, c.String(f.name))
		}
		*f.dst = int64(n)
	}
	lim.MaxMembers = c.Int("max-members")
	if lim.MaxMembers <= 0 {
		return lim, fmt.Errorf("--max-members must be positive")
	}
	return lim, nil
}
