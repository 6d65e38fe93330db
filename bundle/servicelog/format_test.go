package servicelog

import (
	"strings"
	"testing"
)

// TestDetect: each format's shape as its specification or tool writes it,
// with the lines a tool adds around them, and look-alikes that are plain.
func TestDetect(t *testing.T) {
	for _, c := range []struct {
		name  string
		lines []string
		want  Format
	}{
		{"cri", []string{"2026-12-06T18:26:01.000000001Z stdout F {\"level\":\"info\"}", "2026-12-06T18:26:01.000000002Z stderr P panic: ass"}, CRI},
		{"cri offset", []string{"2026-12-06T18:26:01.123+01:00 stderr F gc 1 @0.003s 8%: …"}, CRI},
		{"docker", []string{`{"log":"hello\n","stream":"stdout","time":"2026-12-06T18:26:01.000000001Z"}`}, Docker},
		{"docker attrs first", []string{`{"attrs":{"tag":"x"},"log":"hello\n","stream":"stdout","time":"2026-12-06T18:26:01Z"}`}, Docker},
		{"journal json", []string{`{"__CURSOR":"s=1","MESSAGE":"hi","_PID":"1"}`}, JournalJSON},
		{"journal json, older journalctl", []string{`{ "__CURSOR" : "s=1", "MESSAGE" : "hi", "_PID" : "1" }`}, JournalJSON},
		{"docker spaced", []string{`{"log" : "hi", "stream" : "stderr"}`}, Docker},
		{"journal short", []string{"-- Logs begin at Sun 2026-12-06 09:00:00 UTC. --", "Dec 06 18:26:01 web-1 checkout[42]: hi", "Dec 06 18:26:02 web-1 checkout[42]: there"}, Syslog},
		{"journal short-iso", []string{"2026-12-06T18:26:01+0000 web-1 checkout[42]: hi"}, Syslog},
		{"journal short-precise", []string{"Dec 06 18:26:01.123456 web-1 checkout[42]: hi"}, Syslog},
		{"rfc3164", []string{"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8"}, Syslog},
		{"rsyslog", []string{"Dec  6 18:26:01 web-1 checkout[42]: #011/src/main.go:11"}, Syslog},
		{"rfc5424", []string{`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"] An application event`}, RFC5424},
		{"kubectl", []string{`2026-12-06T18:26:01.000000001Z {"level":"info","msg":"request served"}`, "2026-12-06T18:26:01.000000002Z panic: boom"}, Kubectl},
		{"json app log", []string{`{"level":"info","msg":"served","time":"2026-12-06T18:26:01Z"}`}, Plain},
		{"go log", []string{"2026/12/06 18:26:01 listening on :8080"}, Plain},
		{"logfmt", []string{`time=2026-12-06T18:26:01Z level=info msg="served"`}, Plain},
		{"runtime", []string{"panic: boom", "", "goroutine 1 [running]:", "main.main()", "\t/src/main.go:5 +0x1d"}, Plain},
		{"empty", nil, Plain},
	} {
		if got := Detect([]byte(strings.Join(c.lines, "\n") + "\n")); got != c.want {
			t.Errorf("%s: Detect = %q, want %q", c.name, got, c.want)
		}
	}
}

// TestJournalMessageValues: MESSAGE as a string, as bytes, as several
// values (the last kept), or null (no payload), as the Journal JSON
// Format describes them.
func TestJournalMessageValues(t *testing.T) {
	in := `{"MESSAGE":"panic: a","_PID":"1"}
{"MESSAGE":[9,109,97,105,110,46,103,111,58,49],"_PID":"1"}
{"MESSAGE":["first","goroutine 1 [running]:"],"_PID":"1"}
{"MESSAGE":null,"_PID":"1"}
{"MESSAGE":[[1,2],"x"],"_PID":"1"}
`
	l := NewLines(strings.NewReader(in), JournalJSON, 0, "j")
	var got []string
	for {
		ln, err := l.Next()
		if err != nil {
			break
		}
		got = append(got, string(ln.Text))
	}
	want := []string{"panic: a", "\tmain.go:1", "goroutine 1 [running]:", "x"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("lines %q, want %q", got, want)
	}
}
