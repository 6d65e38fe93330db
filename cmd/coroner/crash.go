package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/census"
	"github.com/coroner/coroner/analyze/crash"
	"github.com/coroner/coroner/bundle"
)

func init() {
	register(&cli.Command{
		Name:      "crash",
		Usage:     "how the process died: crash site, panic value or fatal error, signal, crash signature",
		ArgsUsage: "ARCHIVE|LOG",
		Description: `Reads the crash from the archive's core (the panic value or fatal error text the
runtime left in memory, the crashed goroutine and thread, the signal and faulting
address) or from the crash output, and prints the crash site and the crash
signature, identical for the same bug across rebuilds: a hash of the panic kind,
the message and the top normalized user frames, spelled as the index, the reports
and coroner search spell it ("crash:v1:5192be24f55af9d8"), and the short text it
hashes.

The input may also be a single service log or goroutine dump, read where it
lies without an archive: a log plain or as a host stored it (CRI, Docker
json-file, journalctl short or json, syslog, kubectl --timestamps), of which
only the head and the tail (the last MiB, further back up to 64 MiB while the
last traceback is not whole) are read, and whose last traceback counts.

Exit codes: 0 shown (or no crash recorded: says so, JSON "crash": null);
2 bad usage; 3 unreadable archive or no core/crash log in it.`,
		Flags: []cli.Flag{
			jsonFlag("print the crash as JSON"),
			forceCoreFlag(),
		},
		Action: withShown(showCrash),
	})
}

func showCrash(c *cli.Context, a analyze.Source) error {
	cr, gr, _, warns, err := crash.Read(c.Context, a, c.Bool("force"))
	if err = checkCensus(c, gr, warns, err, "core, crash log or goroutine dump"); err != nil {
		return err
	}
	w := c.App.Writer
	if c.Bool("json") {
		return writeJSONOut(w, struct {
			Crash *crash.Result `json:"crash"`
		}{cr})
	}
	if cr == nil {
		fmt.Fprintf(w, "no crash recorded in %s (census from %s)\n", bundle.DisplayName(c.Args().First()), bundle.DisplayName(gr.Census.Source))
		if rc := gr.Requested(); rc != nil {
			// A dump someone asked for: say why it is none.
			fmt.Fprintf(w, "%s: %s\n", bundle.DisplayName(rc.Source), bundle.DisplayName(rc.Requested.Evidence))
		}
		return nil
	}
	return printCrash(w, cr)
}

func printCrash(w io.Writer, r *crash.Result) error {
	cr := r.Crash
	tbl := newTable(w)
	tbl.Header("Field", "Value")
	rows := [][]string{
		{"kind", cr.Kind},
		{"message", bundle.DisplayName(cr.Message)},
		{"signal", cr.Signal},
		{"fault address", hexOrEmpty(cr.FaultAddr)},
		{"goroutine", intOrEmpty(cr.GoroutineID)},
		{"thread", intOrEmpty(int64(cr.Thread))},
		{"site", frameCell(cr.Site)},
		{"signature", r.Signature},
		{"signature text", bundle.DisplayName(r.SignatureText)},
		{"source", bundle.DisplayName(r.Source)},
	}
	for _, row := range rows {
		if row[1] == "" {
			continue
		}
		if err := tbl.Append(row); err != nil {
			return fmt.Errorf("table: %w", err)
		}
	}
	if err := tbl.Render(); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	if len(r.Frames) > 0 {
		fmt.Fprintf(w, "\ngoroutine %d stack:\n", cr.GoroutineID)
		for _, f := range census.FrameStrings(r.Frames) {
			fmt.Fprintf(w, "  %s\n", bundle.DisplayName(f))
		}
	}
	return nil
}

func hexOrEmpty(v uint64) string {
	if v == 0 {
		return ""
	}
	return fmt.Sprintf("%#x", v)
}

func intOrEmpty(v int64) string {
	if v == 0 {
		return ""
	}
	return fmt.Sprint(v)
}
