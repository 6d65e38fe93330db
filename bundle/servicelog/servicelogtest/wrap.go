// Package servicelogtest wraps a real program's output the way hosts and
// clusters store it — containerd's CRI log files, dockerd's json-file
// driver, journald through journalctl, rsyslog, RFC 5424 syslog, kubectl
// — so tests can build each log format from real runtime output. Each
// wrapper's comment names the source of the format it mimics.
package servicelogtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Record is one line a process wrote to one stream.
type Record struct {
	Stream string
	Text   string
}

// Merge interleaves a run's stdout lines among its stderr lines before
// the traceback, one after every other stderr line, as a collector
// reading both pipes sees them; the traceback comes last, whole.
func Merge(stdout, stderr []byte, start string) []Record {
	errLines := splitLines(stderr)
	outLines := splitLines(stdout)
	var rs []Record
	tb := false
	for i, l := range errLines {
		if strings.HasPrefix(l, start) {
			tb = true
			for _, s := range outLines {
				rs = append(rs, Record{"stdout", s})
			}
			outLines = nil
		}
		if !tb && i%2 == 1 && len(outLines) > 0 {
			rs = append(rs, Record{"stdout", outLines[0]})
			outLines = outLines[1:]
		}
		rs = append(rs, Record{"stderr", l})
	}
	for _, s := range outLines {
		rs = append(rs, Record{"stdout", s})
	}
	return rs
}

func splitLines(b []byte) []string {
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// clock gives each record a later timestamp.
type clock struct{ t time.Time }

func newClock() *clock { return &clock{time.Date(2026, 12, 6, 18, 26, 1, 1, time.UTC)} }

func (c *clock) next() time.Time {
	c.t = c.t.Add(1500 * time.Microsecond)
	return c.t
}

// criMax is containerd's default max_container_log_line_size: a longer
// line is written as "P" records of this many bytes, then an "F" record.
const criMax = 16 << 10

// WrapCRI writes records as containerd's CRI logger does
// (pkg/cri/io/logger.go redirectLogs: "TIMESTAMP STREAM TAG CONTENT\n",
// timestamp time.RFC3339Nano, tag "P" for a partial line). split, when
// positive, cuts every stderr line of at least that length into a "P" and
// an "F" record with a stdout record between them.
func WrapCRI(rs []Record, split int) []byte {
	var b bytes.Buffer
	c := newClock()
	for _, r := range rs {
		line := r.Text
		for len(line) > criMax {
			fmt.Fprintf(&b, "%s %s P %s\n", c.next().Format(time.RFC3339Nano), r.Stream, line[:criMax])
			line = line[criMax:]
		}
		if split > 0 && r.Stream == "stderr" && len(line) >= split {
			fmt.Fprintf(&b, "%s %s P %s\n", c.next().Format(time.RFC3339Nano), r.Stream, line[:split/2])
			fmt.Fprintf(&b, "%s stdout F {\"level\":\"info\",\"msg\":\"between\"}\n", c.next().Format(time.RFC3339Nano))
			line = line[split/2:]
		}
		fmt.Fprintf(&b, "%s %s F %s\n", c.next().Format(time.RFC3339Nano), r.Stream, line)
	}
	return b.Bytes()
}

// dockerMax is dockerd's copier buffer (daemon/logger/copier.go bufSize):
// a longer line is logged as several messages, all but the last without
// the newline.
const dockerMax = 16 << 10

// WrapDocker writes records as dockerd's json-file driver does
// (daemon/logger/jsonfilelog: {"log":…,"stream":…,"time":…} per message,
// "log" keeping the line's newline, time in RFC 3339 with nanoseconds).
func WrapDocker(rs []Record) []byte {
	var b bytes.Buffer
	c := newClock()
	for _, r := range rs {
		line := r.Text + "\n"
		for len(line) > 0 {
			n := min(len(line), dockerMax)
			m, _ := json.Marshal(struct {
				Log    string `json:"log"`
				Stream string `json:"stream"`
				Time   string `json:"time"`
			}{line[:n], r.Stream, c.next().Format(time.RFC3339Nano)})
			b.Write(m)
			b.WriteByte('\n')
			line = line[n:]
		}
	}
	return b.Bytes()
}

// WrapJournalShort writes records as `journalctl -o short` prints a
// unit's stdout stream entries: "Mmm dd hh:mm:ss HOST IDENT[PID]: MESSAGE"
// (journald stores each line of both streams as one entry), after the
// header journalctl prints.
func WrapJournalShort(rs []Record) []byte {
	return wrapEach(rs, "-- Logs begin at Sun 2026-12-06 09:00:00 UTC, end at Sun 2026-12-06 18:30:00 UTC. --\n", func(t time.Time, r Record) string {
		return fmt.Sprintf("%s web-1 checkout[4242]: %s\n", t.Format("Jan 02 15:04:05"), r.Text)
	})
}

// WrapJournalJSON writes records as `journalctl -o json` does: one object
// per entry, MESSAGE a string, or an array of byte values when the text
// is not printable UTF-8 (journalctl treats it as binary); asBytes forces
// the array for lines holding a tab, as for any control character.
func WrapJournalJSON(rs []Record, asBytes bool) []byte {
	var b bytes.Buffer
	c := newClock()
	for i, r := range rs {
		var msg any = r.Text
		if asBytes && strings.Contains(r.Text, "\t") {
			ns := make([]int, len(r.Text))
			for j := range ns {
				ns[j] = int(r.Text[j])
			}
			msg = ns
		}
		m, _ := json.Marshal(map[string]any{
			"__CURSOR":             fmt.Sprintf("s=5b1e;i=%x;b=9f0c;m=%x", i, i),
			"__REALTIME_TIMESTAMP": fmt.Sprint(c.next().UnixMicro()),
			"_PID":                 "4242",
			"SYSLOG_IDENTIFIER":    "checkout",
			"_TRANSPORT":           "stdout",
			"PRIORITY":             "6",
			"MESSAGE":              msg,
		})
		b.Write(m)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// WrapJournalJSONSpaced writes records as older journalctl versions print
// -o json: "{ "KEY" : "VALUE", … }", spaces around each colon.
func WrapJournalJSONSpaced(rs []Record) []byte {
	compact := WrapJournalJSON(rs, false)
	var b bytes.Buffer
	for _, line := range bytes.SplitAfter(compact, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			panic(err)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteString("{ ")
		for i, k := range keys {
			v, _ := json.Marshal(m[k])
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q : %s", k, v)
		}
		b.WriteString(" }\n")
	}
	return b.Bytes()
}

// WrapKubectl writes records as `kubectl logs --timestamps` prints them:
// the CRI record's RFC3339Nano timestamp, a space, the line.
func WrapKubectl(rs []Record) []byte {
	return wrapEach(rs, "", func(t time.Time, r Record) string {
		return fmt.Sprintf("%s %s\n", t.Format(time.RFC3339Nano), r.Text)
	})
}

// WrapRFC3164 writes records as rsyslog's traditional file format with
// the priority kept ("<PRI>Mmm  d hh:mm:ss HOST TAG[PID]: MSG", RFC 3164
// 4.1), control characters escaped as "#ooo" (tab: "#011").
func WrapRFC3164(rs []Record) []byte {
	return wrapEach(rs, "", func(t time.Time, r Record) string {
		return fmt.Sprintf("<30>%s web-1 checkout[4242]: %s\n", t.Format("Jan _2 15:04:05"), strings.ReplaceAll(r.Text, "\t", "#011"))
	})
}

// WrapRFC5424 writes records as RFC 5424 6 messages with structured data
// whose value escapes a ']' (6.3.3) and a BOM before MSG (6.4).
func WrapRFC5424(rs []Record) []byte {
	return wrapEach(rs, "", func(t time.Time, r Record) string {
		return fmt.Sprintf("<30>1 %s web-1 checkout 4242 - [origin x=\"a\\]b\"][meta seq=\"1\"] \xef\xbb\xbf%s\n", t.Format(time.RFC3339Nano), r.Text)
	})
}

// WrapPlain is the streams as one file, as `2>&1` or `journalctl -o cat`
// give them.
func WrapPlain(rs []Record) []byte {
	var b bytes.Buffer
	for _, r := range rs {
		b.WriteString(r.Text + "\n")
	}
	return b.Bytes()
}

// Wrapper is one host format with the wrapping that mimics it.
type Wrapper struct {
	Name string
	// Format is the servicelog.Format the wrapping gives.
	Format string
	Wrap   func([]Record) []byte
}

// Wrappers are every host format, plain first.
var Wrappers = []Wrapper{
	{"plain", "plain", WrapPlain},
	{"cri", "cri", func(rs []Record) []byte { return WrapCRI(rs, 0) }},
	{"cri-split", "cri", func(rs []Record) []byte { return WrapCRI(rs, 8) }},
	{"docker", "docker-json", WrapDocker},
	{"journal-short", "syslog", WrapJournalShort},
	{"journal-json", "journal-json", func(rs []Record) []byte { return WrapJournalJSON(rs, false) }},
	{"journal-json-bytes", "journal-json", func(rs []Record) []byte { return WrapJournalJSON(rs, true) }},
	{"journal-json-spaced", "journal-json", WrapJournalJSONSpaced},
	{"kubectl", "kubectl", WrapKubectl},
	{"rfc3164", "syslog", WrapRFC3164},
	{"rfc5424", "rfc5424", WrapRFC5424},
}

// wrapEach writes header, then one line per record as line formats it
// with the record's timestamp.
func wrapEach(rs []Record, header string, line func(t time.Time, r Record) string) []byte {
	var b bytes.Buffer
	c := newClock()
	b.WriteString(header)
	for _, r := range rs {
		b.WriteString(line(c.next(), r))
	}
	return b.Bytes()
}
