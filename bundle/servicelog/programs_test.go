package servicelog

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"testing"

	"github.com/coroner/coroner/internal/testcore"
)

// tmpDir holds the programs built once for the package's tests.
var tmpDir string

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "servicelog-test")
	if err != nil {
		panic(err)
	}
	tmpDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

// crashSrc is a service that logs JSON lines to stdout and stderr,
// allocates enough to run the collector many times, then crashes on a
// nil map write in a worker goroutine.
const crashSrc = `package main

import (
	"fmt"
	"os"
	"time"
)

type store struct{ m map[string]int }

func (s *store) put(k string) { s.m[k]++ }

var sink [][]byte

func main() {
	for i := 0; i < 4000; i++ {
		sink = append(sink, make([]byte, 64<<10))
		if len(sink) > 40 {
			sink = sink[1:]
		}
		if i%200 == 0 {
			fmt.Printf("{\"level\":\"info\",\"msg\":\"served\",\"n\":%d}\n", i)
			fmt.Fprintf(os.Stderr, "level=warn msg=\"slow request\" n=%d\n", i)
		}
	}
	go func() { time.Sleep(time.Hour) }()
	s := &store{}
	done := make(chan bool)
	go func() { s.put("k"); done <- true }()
	<-done
}
`

// quitSrc parks goroutines on a mutex and a channel, says it is ready,
// and waits for SIGQUIT.
const quitSrc = `package main

import (
	"fmt"
	"sync"
	"time"
)

func main() {
	var mu sync.Mutex
	mu.Lock()
	ch := make(chan int)
	for i := 0; i < 5; i++ {
		go func() { mu.Lock() }()
		go func() { <-ch }()
	}
	time.Sleep(100 * time.Millisecond)
	fmt.Println("ready")
	time.Sleep(time.Hour)
}
`

// output is what a real run wrote to each stream.
type output struct {
	stdout, stderr []byte
}

var built = map[string]string{}

func build(t testing.TB, src string) string {
	t.Helper()
	if exe, ok := built[src]; ok {
		return exe
	}
	exe := testcore.BuildIn(t, tmpDir, src)
	built[src] = exe
	return exe
}

var crashes = map[string]output{}

// crashRun runs crashSrc with GODEBUG=gctrace=1 under GOTRACEBACK=level
// and returns its streams.
func crashRun(t testing.TB, level string) output {
	t.Helper()
	if o, ok := crashes[level]; ok {
		return o
	}
	cmd := exec.Command(build(t, crashSrc))
	cmd.Env = append(os.Environ(), "GODEBUG=gctrace=1", "GOTRACEBACK="+level)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err == nil {
		t.Fatal("program did not crash")
	}
	o := output{out.Bytes(), errb.Bytes()}
	crashes[level] = o
	return o
}

// quitRun returns the stderr of quitSrc after SIGQUIT, gctrace on.
func quitRun(t testing.TB) []byte {
	t.Helper()
	p := testcore.Start(t, build(t, quitSrc), "ready", "GODEBUG=gctrace=1", "GOTRACEBACK=all")
	return p.Quit(t)
}

// tracebackOf returns the runtime's traceback in stderr: from the line
// that starts it to the end.
func tracebackOf(t testing.TB, stderr []byte, start string) []byte {
	t.Helper()
	i := bytes.Index(stderr, []byte("\n"+start))
	if i < 0 {
		t.Fatalf("no %q in:\n%s", start, stderr)
	}
	return stderr[i+1:]
}

// reGCLine is a whole record as mgc.go gcMarkTermination prints it under
// gctrace=1, from "gc N @" to the P count. The runtime prints a record in
// several writes, so an application writing to stderr at the same time
// can land inside one: a record cut before its P count is not counted,
// here or by the gctrace package, while one whose newline comes only
// after the application's text is whole and counted.
var reGCLine = regexp.MustCompile(`^gc [0-9]+ @[0-9.]+s [0-9]+%: .* [0-9]+ P`)

// gcLines counts the whole gctrace lines in a run's stderr.
func gcLines(b []byte) int {
	n := 0
	for _, l := range bytes.Split(b, []byte("\n")) {
		if reGCLine.Match(l) {
			n++
		}
	}
	return n
}
