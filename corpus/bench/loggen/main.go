// Command loggen makes the input of corpus/bench/log.sh: a service's log
// of a given size, mostly JSON application lines with the runtime's
// gctrace lines among them, ending in a real crash traceback.
//
//	GODEBUG=gctrace=1 GOTRACEBACK=all loggen -crash 2> crash.txt   # crashes for real
//	loggen -size 1073741824 -runtime crash.txt > service.log
//	loggen -size 1073741824 -runtime crash.txt -docker > docker.log
//
// The gctrace lines and the traceback are taken from the runtime's own
// output in the -runtime file: its gctrace lines are repeated, one every
// 100 application lines, and its traceback (from its first "panic: "
// line) ends the log. With -docker each line is a record of dockerd's
// json-file driver ({"log":"…\n","stream":…,"time":…}), the application's
// lines on stdout and the runtime's on stderr.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
)

type store struct{ m map[string]int }

func (s *store) put(k string) { s.m[k]++ }

var sink [][]byte

// crash allocates enough for the collector to run, then writes to a nil
// map in a worker goroutine.
func crash() {
	for i := 0; i < 4000; i++ {
		sink = append(sink, make([]byte, 64<<10))
		if len(sink) > 40 {
			sink = sink[1:]
		}
	}
	s := &store{}
	done := make(chan bool)
	go func() { s.put("k"); done <- true }()
	<-done
}

func main() {
	size := flag.Int64("size", 1<<30, "bytes of log to write")
	runtimeOut := flag.String("runtime", "", "file holding the runtime's stderr (gctrace lines and a traceback)")
	doCrash := flag.Bool("crash", false, "crash for real instead of writing a log")
	docker := flag.Bool("docker", false, "write dockerd json-file records")
	flag.Parse()
	if *doCrash {
		crash()
		return
	}
	if err := write(*size, *runtimeOut, *docker); err != nil {
		fmt.Fprintln(os.Stderr, "loggen:", err)
		os.Exit(1)
	}
}

func write(size int64, runtimeOut string, docker bool) error {
	b, err := os.ReadFile(runtimeOut)
	if err != nil {
		return err
	}
	i := bytes.Index(b, []byte("panic: "))
	if i < 0 {
		return fmt.Errorf("%s: no traceback", runtimeOut)
	}
	tb := b[i:]
	var gcs [][]byte
	for _, l := range bytes.Split(b[:i], []byte("\n")) {
		if bytes.HasPrefix(l, []byte("gc ")) {
			gcs = append(gcs, l)
		}
	}
	if len(gcs) == 0 {
		return fmt.Errorf("%s: no gctrace lines (run with GODEBUG=gctrace=1)", runtimeOut)
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	var n int64
	var rec []byte
	emit := func(line []byte, stream string, i int) {
		if docker {
			q, _ := json.Marshal(string(line))
			rec = append(append(append(rec[:0], `{"log":`...), q...), `,"stream":"`+stream+`","time":"2026-12-06T18:26:01.`...)
			rec = fmt.Appendf(rec, "%09dZ\"}\n", i%1000000000)
			line = rec
		}
		w.Write(line)
		n += int64(len(line))
	}
	tbLines := bytes.SplitAfter(tb, []byte("\n"))
	if !docker {
		tbLines = [][]byte{tb}
	}
	var tbSize int64
	for _, l := range tbLines {
		tbSize += int64(len(l)) * 2
	}
	line := make([]byte, 0, 256)
	for i := 0; n < size-tbSize; i++ {
		line = line[:0]
		stream := "stdout"
		if i%100 == 99 {
			stream = "stderr"
			line = append(line, gcs[(i/100)%len(gcs)]...)
		} else {
			line = append(line, `{"time":"2026-12-06T18:`...)
			line = strconv.AppendInt(line, int64(10+i/6000%50), 10)
			line = append(line, `:00Z","level":"info","msg":"request served","method":"GET","path":"/v1/orders/`...)
			line = strconv.AppendInt(line, int64(i), 10)
			line = append(line, `","status":200,"duration_ms":`...)
			line = strconv.AppendInt(line, int64(i%997), 10)
			line = append(line, "}"...)
		}
		line = append(line, '\n')
		emit(line, stream, i)
	}
	for i, l := range tbLines {
		if len(l) > 0 {
			emit(l, "stderr", i)
		}
	}
	return w.Flush()
}
