package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/coroner/coroner/reports/serve"
)

// Server timeouts: a page is built in milliseconds (serve's
// BenchmarkSignaturesPage) and a report is a few MiB at most, so these
// only cut off clients that stall.
const (
	serveReadHeaderTimeout = 10 * time.Second
	serveWriteTimeout      = 60 * time.Second
	serveIdleTimeout       = 2 * time.Minute
	serveShutdownTimeout   = 5 * time.Second
)

func init() {
	register(&cli.Command{
		Name:  "serve",
		Usage: "browse the incident index in a web browser: incidents grouped by signature, reports, re-analysis changes",
		Description: `A read-only web UI over the incident index and the results a batch stored: the signatures
page (one row per signature: cause, severity, culprit, count, first and last seen, Go versions,
modules and revisions, incidents per day; filter, sort, page), each incident's report, inventory
and the other incidents with its signature, and what a re-analysis changed between two analyzer
sets. Every page is also JSON (add .json to the path, or send Accept: application/json). Pages
load nothing from outside and need no JavaScript. It listens on loopback unless --listen says
otherwise. Exit codes: 0 stopped by SIGINT/SIGTERM; 2 bad flags; 3 the results directory is
unreadable; 4 the index is unreadable or the address cannot be listened on.`,
		Flags: []cli.Flag{
			indexFlag,
			&cli.StringFlag{Name: "results", Usage: "batch output `DIR` whose results/ hold the stored results (default: the index's directory)"},
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:8080", Usage: "`ADDR` to listen on"},
			&cli.StringFlag{Name: "base-path", Usage: "path `PREFIX` the UI is served under behind a reverse proxy (/coroner)"},
		},
		Action: runServe,
	})
}

func runServe(c *cli.Context) error {
	if err := checkArgs(c, 0, ""); err != nil {
		return err
	}
	dir := c.String("results")
	if dir == "" {
		dir = filepath.Dir(c.String("index"))
	}
	if strings.Contains(dir, "://") {
		return withCode(exitUsage, fmt.Errorf("--results %s: only a directory is supported", dir))
	}
	results, err := serve.NewDir(dir)
	if err != nil {
		return withCode(exitInput, err)
	}
	db, err := openIndex(c)
	if err != nil {
		return err
	}
	defer db.Close()
	srv, err := serve.New(serve.Options{Index: db, Results: results, BasePath: c.String("base-path"),
		Log: log.New(os.Stderr, "", 0)})
	if err != nil {
		return withCode(exitUsage, err)
	}
	ln, err := net.Listen("tcp", c.String("listen"))
	if err != nil {
		return withCode(exitInternal, fmt.Errorf("serve: %w", err))
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: serveReadHeaderTimeout, WriteTimeout: serveWriteTimeout, IdleTimeout: serveIdleTimeout}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	logLine("serving %s and %s on http://%s%s/", sanitizeTerm(db.Path()), sanitizeTerm(results.String()), ln.Addr(), sanitizeTerm(strings.TrimRight(c.String("base-path"), "/")))
	select {
	case err := <-errc:
		return withCode(exitInternal, fmt.Errorf("serve: %w", err))
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), serveShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return withCode(exitInternal, fmt.Errorf("serve: shutting down: %w", err))
	}
	return nil
}
