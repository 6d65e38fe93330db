// Command target is the small Go service the capture tests run: it serves
// net/http/pprof, keeps the collector busy with a little garbage, and can
// panic in a goroutine after a delay to exercise a target dying mid-capture.
package main

import (
	"flag"
	"fmt"
	"net/http"
	_ "net/http/pprof"
	"os"
	"time"
)

var sink []byte

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "pprof listen address")
	crashAfter := flag.Duration("crash-after", 0, "panic in a goroutine after this long (0: never)")
	flag.Parse()
	go func() {
		for {
			sink = make([]byte, 64<<10)
			time.Sleep(time.Millisecond)
		}
	}()
	if *crashAfter > 0 {
		go func() {
			time.Sleep(*crashAfter)
			var m map[string]int
			m["boom"]++
		}()
	}
	fmt.Fprintln(os.Stderr, "target: serving on", *addr)
	if err := http.ListenAndServe(*addr, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
