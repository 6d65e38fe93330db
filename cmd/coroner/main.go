// Command coroner is an offline forensic toolkit for Go production incidents:
// it ingests what was captured (binary, core, perf.data, pprof profiles,
// execution trace, gctrace and goroutine dumps) into one checksummed archive,
// analyzes it, and reports the root cause.
package main

import (
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/urfave/cli/v2"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/version"
	"github.com/coroner/coroner/internal/worker"
)

// Exit codes, documented in the README. Bots depend on them.
const (
	exitOK       = 0 // success; no finding at or above --fail-on
	exitFindings = 1 // analysis finished and found something at or above --fail-on
	exitUsage    = 2 // bad flags or arguments
	exitInput    = 3 // an input is unreadable, malformed or fails verification
	exitInternal = 4 // coroner itself failed (I/O on the destination, bug)
	exitTimeout  = 5 // --timeout expired; partial results were written
)

// exitError carries an exit code through urfave/cli.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode tags err with an exit code.
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

var commands []*cli.Command

// register adds a subcommand; each command lives in its own file and
// registers itself from init.
func register(c *cli.Command) { commands = append(commands, c) }

func newApp() *cli.App {
	sort.Slice(commands, func(i, j int) bool { return commands[i].Name < commands[j].Name })
	return &cli.App{
		Name:                 "coroner",
		Usage:                "offline forensic toolkit for Go production incidents",
		Version:              version.Version,
		Commands:             commands,
		EnableBashCompletion: true,
		HideVersion:          false,
		ExitErrHandler:       func(*cli.Context, error) {},
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "stderr log and error format: text or json (for bots)", EnvVars: []string{"CORONER_LOG_FORMAT"}},
			&cli.StringFlag{Name: "cache-max", Value: bundle.DefaultCacheMax, EnvVars: []string{bundle.CacheMaxEnv},
				Usage: "bound on the extraction cache's disk use: a `SIZE` (10GiB) or a percentage of the space available to it"},
		},
		Before: func(c *cli.Context) error {
			f := c.String("log-format")
			if f != "text" && f != "json" {
				return withCode(exitUsage, fmt.Errorf("--log-format %q: want text or json", f))
			}
			logFormat = f
			if _, err := bundle.ParseCacheBound(c.String("cache-max")); err != nil {
				return withCode(exitUsage, fmt.Errorf("--cache-max: %w", err))
			}
			// Both reach the bundle package's cache and the worker
			// children through the environment: analyzers ask for
			// extracted files through analyze.Source.Path, which takes no
			// options, and the census runs in a child process.
			os.Setenv("CORONER_LOG_FORMAT", f)
			os.Setenv(bundle.CacheMaxEnv, c.String("cache-max"))
			return nil
		},
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return withCode(exitUsage, err)
		},
	}
}

func main() {
	registerBatchWorker()
	worker.Main()
	err := runArgs(newApp(), os.Args)
	os.Exit(reportError(err))
}

// runArgs runs the CLI on args, with each command's flags allowed after its
// arguments (see interspersed).
func runArgs(app *cli.App, args []string) error {
	return app.Run(interspersed(app, args))
}

// reportError prints err to stderr and returns the process exit code.
func reportError(err error) int {
	if err == nil {
		return exitOK
	}
	code := exitInternal
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	var ce cli.ExitCoder
	if !errors.As(err, &ee) && errors.As(err, &ce) {
		code = ce.ExitCode()
	}
	if code != exitFindings {
		logError(err, code)
	}
	return code
}

// logError writes "coroner: …" to stderr, as JSON under --log-format json.
func logError(err error, code int) {
	if logFormat == "json" {
		writeJSONLine(os.Stderr, "level", "error", "exit_code", code, "error", err.Error())
		return
	}
	fmt.Fprintf(os.Stderr, "coroner: %v\n", err)
}

// logLine writes a progress line to stderr, as JSON under --log-format json.
func logLine(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if logFormat == "json" {
		writeJSONLine(os.Stderr, "level", "info", "msg", msg)
		return
	}
	fmt.Fprintf(os.Stderr, "coroner: %s\n", msg)
}

// logFormat is "text" or "json"; set by commands that take --log-format.
var logFormat = "text"
