package servicelog

import (
	"bytes"
	"regexp"
)

// Format names how a log's raw lines wrap what the service wrote. The
// string values appear in manifests ("log_format") and must never change.
type Format string

// The formats Detect tells apart.
const (
	// Plain is the service's output as written (a redirected stderr, a
	// log file, `journalctl -o cat`).
	Plain Format = "plain"
	// CRI is the container runtime's log file under /var/log/pods, written
	// by containerd and CRI-O: "TIMESTAMP STREAM TAG CONTENT", TIMESTAMP in
	// RFC 3339 with nanoseconds, STREAM stdout or stderr, TAG "F" for a full
	// line or "P" for a partial one the next record continues (Kubernetes
	// CRI logging proposal, kubelet-cri-logging.md; containerd
	// pkg/cri/io/logger.go). `kubectl logs` strips the wrapper.
	CRI Format = "cri"
	// Docker is dockerd's json-file driver: one JSON object per line,
	// {"log":"…\n","stream":"stderr","time":"…"}; a line longer than 16 KiB
	// is split into objects whose "log" lacks the final newline (moby
	// daemon/logger/copier.go, bufSize).
	Docker Format = "docker-json"
	// JournalJSON is `journalctl -o json`: one JSON object per journal
	// entry, the line in MESSAGE, as a string or, when it is not printable
	// UTF-8, as an array of byte values (systemd journal JSON format,
	// JOURNAL_EXPORT_FORMATS); null when longer than journalctl's field
	// limit without --all.
	JournalJSON Format = "journal-json"
	// Syslog is "TIMESTAMP HOST TAG[PID]: MESSAGE", optionally after a
	// "<PRI>": RFC 3164, rsyslog's files, and `journalctl` (-o short,
	// short-iso, short-precise). rsyslog escapes control characters as
	// "#ooo" (EscapeControlCharactersOnReceive), so a tab reads "#011".
	Syslog Format = "syslog"
	// RFC5424 is "<PRI>VERSION TIMESTAMP HOST APP PROCID MSGID SD MSG".
	RFC5424 Format = "rfc5424"
	// Kubectl is `kubectl logs --timestamps`: "RFC3339NANO CONTENT".
	Kubectl Format = "kubectl"
)

// Timestamp shapes: RFC 3339 (with optional fraction and "+0000"-style
// offsets as journalctl -o short-iso prints them), and the BSD syslog
// "Mmm dd hh:mm:ss" (RFC 3164 4.1.2; journalctl zero-pads the day, rsyslog
// pads it with a space).
const (
	isoTS = `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)`
	bsdTS = `[A-Z][a-z]{2} [ 0-3]\d \d\d:\d\d:\d\d(?:\.\d+)?`
)

// A syslog header's HOSTNAME (RFC 3164 4.1.2: a host name or an IPv4
// address) and TAG (4.1.3: alphanumeric; systemd identifiers and
// rsyslog's programname also hold '-', '_', '.', '@' and '/').
const (
	host = `[A-Za-z0-9._-]+`
	tag  = `[A-Za-z0-9._@/-]+`
)

var (
	reCRI     = regexp.MustCompile(`^` + isoTS + ` (stdout|stderr) ([A-Z](?::[A-Z])*)(?: |$)`)
	reSyslog  = regexp.MustCompile(`^(?:<\d{1,3}>)?(?:` + bsdTS + `|` + isoTS + `) ` + host + ` ` + tag + `(?:\[[0-9]+\])?: ?`)
	reRFC5424 = regexp.MustCompile(`^<\d{1,3}>\d{1,2} \S+ \S+ \S+ \S+ \S+ `)
	reKubectl = regexp.MustCompile(`^` + isoTS + ` `)
	// JSON keys, with the spaces older journalctl versions print around
	// the colon ({ "__CURSOR" : "…", … }, as the Journal JSON Format's
	// example shows) or without (dockerd, newer journalctl). Inside a JSON string a quote is escaped, so a bare
	// quoted key can only be a key.
	reDockerKeys  = regexp.MustCompile(`"log"\s*:.*"stream"\s*:|"stream"\s*:.*"log"\s*:`)
	reJournalKeys = regexp.MustCompile(`"(?:__CURSOR|MESSAGE)"\s*:`)
)

// detectLines is how many leading non-blank lines Detect looks at; a
// wrapper writes every line the same way, so a few dozen decide it.
const detectLines = 64

// Detect tells the format from the head of a log: the first format that
// wraps at least half of its first detectLines non-blank lines (a
// journalctl header or an odd line does not change the answer), else
// Plain. The last line of head is ignored when head does not end with a
// newline (it may be cut).
func Detect(head []byte) Format {
	if i := bytes.LastIndexByte(head, '\n'); i >= 0 && i < len(head)-1 {
		head = head[:i+1]
	}
	var lines [][]byte
	for len(head) > 0 && len(lines) < detectLines {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) > 0 {
			lines = append(lines, line)
		}
	}
	if len(lines) == 0 {
		return Plain
	}
	for _, f := range []Format{CRI, Docker, JournalJSON, RFC5424, Syslog, Kubectl} {
		n := 0
		for _, l := range lines {
			if matches(f, l) {
				n++
			}
		}
		if n*2 >= len(lines) {
			return f
		}
	}
	return Plain
}

// matches reports whether line has the shape of format f.
func matches(f Format, line []byte) bool {
	switch f {
	case CRI:
		return reCRI.Match(line)
	case Docker:
		return bytes.HasPrefix(line, []byte("{")) && reDockerKeys.Match(line)
	case JournalJSON:
		return bytes.HasPrefix(line, []byte("{")) && reJournalKeys.Match(line)
	case RFC5424:
		return reRFC5424.Match(line)
	case Syslog:
		return reSyslog.Match(line)
	case Kubectl:
		return reKubectl.Match(line)
	}
	return true
}
