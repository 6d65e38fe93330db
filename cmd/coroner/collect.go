package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/coroner/coroner/bundle/capture"
)

func init() {
	register(&cli.Command{
		Name:      "collect",
		Usage:     "capture a live Go process (binary, perf, pprof, trace, gctrace, /proc, core) into an archive",
		ArgsUsage: "[--exec -- CMD ARGS...]",
		Description: "Captures concurrently for --duration: perf record -g, the CPU profile and an execution trace;\n" +
			"then heap, allocs, mutex, block and goroutine (debug=2) profiles; then a core (gcore keeps the\n" +
			"process alive, abort sends SIGABRT to a GOTRACEBACK=crash process). --exec starts the target with\n" +
			"GODEBUG=gctrace=1, GOTRACEBACK=crash and core dumps enabled, and keeps its stderr. Without --pprof,\n" +
			"--pid probes the process's own listening TCP sockets for /debug/pprof/, and takes the tail of its\n" +
			"stderr when that is a file. Each step is recorded in the manifest; a failed step never stops the others.",
		Flags: append([]cli.Flag{
			&cli.IntFlag{Name: "pid", Usage: "capture this running process"},
			&cli.BoolFlag{Name: "exec", Usage: "start the command after -- and capture it"},
			&cli.StringFlag{Name: "dir", Usage: "working directory for the --exec target (where a crash core lands)"},
			&cli.StringFlag{Name: "pprof", Usage: "the target's net/http/pprof base URL, e.g. http://127.0.0.1:6060 (default with --pid: the first of the process's listening sockets that serves /debug/pprof/)"},
			&cli.DurationFlag{Name: "duration", Value: capture.DefaultDuration, Usage: "capture window for perf, CPU profile and trace"},
			&cli.DurationFlag{Name: "trace-duration", Value: capture.DefaultTraceDuration, Usage: "execution trace length, at the end of the window (negative: none)"},
			&cli.DurationFlag{Name: "ready-timeout", Value: capture.DefaultReadyTimeout, Usage: "with --exec, how long to wait for the pprof URL to answer"},
			&cli.StringFlag{Name: "core", Value: capture.CoreGcore, Usage: "gcore, abort or none"},
			&cli.StringFlag{Name: "perf", Value: capture.PerfAuto, Usage: "auto or off"},
			&cli.BoolFlag{Name: "kallsyms", Value: true, Usage: "store /proc/kallsyms so kernel frames can be named offline (it reveals the kernel's address layout)"},
			&cli.BoolFlag{Name: "with-env", Usage: "also store the process environment (it may hold secrets)"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "archive to write (OUT.tar.zst); required"},
			&cli.BoolFlag{Name: "keep-staging", Usage: "keep the staging directory of captured files"},
		}, manifestFlags()...),
		Action: runCollect,
	})
}

func runCollect(c *cli.Context) error {
	o := capture.Options{
		PID:           c.Int("pid"),
		Dir:           c.String("dir"),
		PprofURL:      c.String("pprof"),
		Duration:      c.Duration("duration"),
		TraceDuration: c.Duration("trace-duration"),
		ReadyTimeout:  c.Duration("ready-timeout"),
		Core:          c.String("core"),
		Perf:          c.String("perf"),
		WithEnv:       c.Bool("with-env"),
		NoKallsyms:    !c.Bool("kallsyms"),
		Output:        c.String("output"),
		KeepStaging:   c.Bool("keep-staging"),
		ID:            c.String("id"),
		Title:         c.String("title"),
		TargetOutput:  os.Stderr,
	}
	if c.Bool("exec") {
		o.Exec = c.Args().Slice()
		if len(o.Exec) == 0 {
			return withCode(exitUsage, errors.New("--exec needs the command after --"))
		}
	} else if c.Args().Present() {
		return withCode(exitUsage, fmt.Errorf("unexpected arguments %q (did you mean --exec -- CMD?)", c.Args().Slice()))
	}
	labels, err := manifestLabels(c)
	if err != nil {
		return err
	}
	o.Labels = labels
	o.Log, o.Progress = collectDisplay()
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := capture.Collect(ctx, o)
	switch {
	case errors.Is(err, capture.ErrUsage):
		return withCode(exitUsage, err)
	case errors.Is(err, capture.ErrTarget):
		return withCode(exitInput, err)
	case err != nil:
		return withCode(exitInternal, err)
	}
	fmt.Fprintln(c.App.Writer, o.Output)
	var failed []string
	for _, s := range res.Capture.Steps {
		if s.Status == capture.StatusFailed {
			failed = append(failed, s.Name+": "+s.Reason)
		}
	}
	if res.Capture.Partial {
		fmt.Fprintln(os.Stderr, "coroner: warning: the target exited during the capture; the archive holds what was captured and is marked partial")
	}
	for _, f := range failed {
		fmt.Fprintln(os.Stderr, "coroner: warning: step failed:", f)
	}
	if res.Staging != "" {
		fmt.Fprintln(os.Stderr, "coroner: captured files kept in", res.Staging)
	}
	return nil
}

// collectDisplay returns a progress bar on a terminal, plain log lines
// (text or JSON per --log-format) otherwise.
func collectDisplay() (func(string, ...any), func(capture.Progress)) {
	if logFormat == "text" && term.IsTerminal(int(os.Stderr.Fd())) {
		var bar *progressbar.ProgressBar
		return func(string, ...any) {}, func(p capture.Progress) {
			if bar == nil {
				bar = progressbar.NewOptions(p.Total, progressbar.OptionSetWriter(os.Stderr),
					progressbar.OptionSetDescription("collecting"), progressbar.OptionClearOnFinish())
			}
			bar.Describe(fmt.Sprintf("%s: %s", p.Step, p.Status))
			_ = bar.Set(p.Done)
			if p.Done == p.Total {
				_ = bar.Finish()
				fmt.Fprintln(os.Stderr, "coroner: captured; writing the archive")
			}
		}
	}
	return logLine, nil
}
