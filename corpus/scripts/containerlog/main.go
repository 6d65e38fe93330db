// Command containerlog writes a service's stderr, read live from standard
// input, the way a log collector would have stored it, so the corpus can
// hold the logs people attach to tickets rather than a clean stderr file:
//
//   - cri: containerd's CRI log, "<RFC3339Nano> stderr F <line>", a line
//     longer than 16 KiB split into "P" (partial) records of 16 KiB and a
//     final "F" record, as containerd does by default;
//   - json-file: Docker's json-file driver, one
//     {"log":"…\n","stream":"stderr","time":"…"} object per line, a line
//     longer than 16 KiB split into records without the newline;
//   - plain: a service log file: structured JSON application lines (as
//     log/slog's JSON handler writes them) at start and every -every,
//     interleaved with the runtime's output, which is copied unchanged.
//
// Lines are stamped when they arrive. -raw also keeps the input verbatim.
// corpus/scripts/capture-foreign.sh uses it.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// maxRecord is the longest line a container runtime stores as one record:
// containerd's max_container_log_line_size and Docker's copier buffer,
// both 16 KiB by default.
const maxRecord = 16 << 10

func main() {
	format := flag.String("format", "cri", "cri, json-file or plain")
	out := flag.String("o", "", "log file to write (required)")
	raw := flag.String("raw", "", "also copy the input verbatim to this file")
	service := flag.String("service", "service", "service name in the application lines (plain)")
	every := flag.Duration("every", time.Second, "interval between application lines (plain)")
	flag.Parse()
	if err := run(*format, *out, *raw, *service, *every); err != nil {
		fmt.Fprintln(os.Stderr, "containerlog:", err)
		os.Exit(1)
	}
}

func run(format, out, raw, service string, every time.Duration) error {
	if out == "" {
		return errors.New("-o is required")
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	var in io.Reader = os.Stdin
	if raw != "" {
		r, err := os.Create(raw)
		if err != nil {
			f.Close()
			return err
		}
		defer r.Close()
		in = io.TeeReader(os.Stdin, r)
	}
	w := &writer{w: bufio.NewWriter(f), now: time.Now}
	var copyErr error
	switch format {
	case "cri":
		copyErr = w.split(in, w.cri)
	case "json-file":
		copyErr = w.split(in, w.jsonFile)
	case "plain":
		copyErr = w.plain(in, service, every)
	default:
		copyErr = fmt.Errorf("-format %q: want cri, json-file or plain", format)
	}
	if err := w.flush(); err != nil && copyErr == nil {
		copyErr = err
	}
	if err := f.Close(); err != nil && copyErr == nil {
		copyErr = err
	}
	if copyErr != nil {
		return fmt.Errorf("%s: %w", out, copyErr)
	}
	return nil
}

// writer serializes records to the log; now stamps them.
type writer struct {
	mu  sync.Mutex
	w   *bufio.Writer
	now func() time.Time
	err error
}

// write appends one record and flushes it, as a collector does, so the
// log is complete up to the last line if the capture stops early.
func (w *writer) write(b []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return
	}
	if _, err := w.w.Write(b); err != nil {
		w.err = err
		return
	}
	w.err = w.w.Flush()
}

func (w *writer) flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = w.w.Flush()
	}
	return w.err
}

func (w *writer) stamp() string { return w.now().UTC().Format(time.RFC3339Nano) }

// split reads lines of any length and hands each to rec in chunks of at
// most maxRecord bytes; last is true for a line's final chunk, which has
// the newline stripped (eol says whether the input had one).
func (w *writer) split(in io.Reader, rec func(chunk []byte, last, eol bool)) error {
	br := bufio.NewReaderSize(in, maxRecord)
	var pending []byte // a full chunk held back until we know whether more follows
	for {
		b, err := br.ReadSlice('\n')
		switch {
		case err == nil:
			line := b[:len(b)-1]
			switch {
			case pending != nil && len(line) == 0:
				// The line filled its last chunk exactly.
				rec(pending, true, true)
			case pending != nil:
				rec(pending, false, false)
				rec(line, true, true)
			default:
				rec(line, true, true)
			}
			pending = nil
		case errors.Is(err, bufio.ErrBufferFull):
			if pending != nil {
				rec(pending, false, false)
			}
			pending = append([]byte(nil), b...)
		case errors.Is(err, io.EOF):
			switch {
			case len(b) > 0:
				if pending != nil {
					rec(pending, false, false)
				}
				rec(b, true, false)
			case pending != nil:
				rec(pending, true, false)
			}
			return w.err
		default:
			return err
		}
		if w.err != nil {
			return w.err
		}
	}
}

// cri writes one CRI record: time, stream, tag (P partial, F full), text.
func (w *writer) cri(chunk []byte, last, _ bool) {
	tag := "P"
	if last {
		tag = "F"
	}
	b := make([]byte, 0, len(chunk)+48)
	b = append(b, w.stamp()...)
	b = append(b, " stderr "...)
	b = append(b, tag...)
	b = append(b, ' ')
	b = append(b, chunk...)
	w.write(append(b, '\n'))
}

// dockerRecord is one line of Docker's json-file log, fields in its order.
type dockerRecord struct {
	Log    string `json:"log"`
	Stream string `json:"stream"`
	Time   string `json:"time"`
}

// jsonFile writes one Docker json-file record; only a line's last chunk
// ends in a newline, as Docker marks partial messages.
func (w *writer) jsonFile(chunk []byte, last, eol bool) {
	text := string(chunk)
	if last && eol {
		text += "\n"
	}
	b, err := json.Marshal(dockerRecord{Log: text, Stream: "stderr", Time: w.stamp()})
	if err != nil {
		w.mu.Lock()
		w.err = err
		w.mu.Unlock()
		return
	}
	w.write(append(b, '\n'))
}

// appLine is an application log line as log/slog's JSON handler writes it.
type appLine struct {
	Time    string  `json:"time"`
	Level   string  `json:"level"`
	Msg     string  `json:"msg"`
	Service string  `json:"service"`
	Uptime  float64 `json:"uptime_s,omitempty"`
	Seq     int     `json:"seq,omitempty"`
}

// plain copies the input unchanged, with application lines at start and
// every interval between whole input lines.
func (w *writer) plain(in io.Reader, service string, every time.Duration) error {
	start := w.now()
	app := func(msg string, seq int) {
		l := appLine{Time: w.stamp(), Level: "INFO", Msg: msg, Service: service, Seq: seq}
		if seq > 0 {
			l.Uptime = float64(w.now().Sub(start).Milliseconds()) / 1000
		}
		b, err := json.Marshal(l)
		if err == nil {
			w.write(append(b, '\n'))
		}
	}
	app("service starting", 0)
	done := make(chan struct{})
	var wg sync.WaitGroup
	if every > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(every)
			defer t.Stop()
			for seq := 1; ; seq++ {
				select {
				case <-done:
					return
				case <-t.C:
					app("health check passed", seq)
				}
			}
		}()
	}
	br := bufio.NewReader(in)
	var err error
	for {
		var line []byte
		line, err = br.ReadBytes('\n')
		if len(line) > 0 {
			w.write(line)
		}
		if err != nil {
			break
		}
	}
	close(done)
	wg.Wait()
	if errors.Is(err, io.EOF) {
		return w.err
	}
	return err
}
