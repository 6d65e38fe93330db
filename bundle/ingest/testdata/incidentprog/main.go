// Program incidentprog is the small Go service bundle's tests take real
// artifacts from: it allocates and burns CPU in a few goroutines, serves
// net/http/pprof on the address it prints, and crashes when /crash is
// requested, so that with GOTRACEBACK=crash the runtime writes a core.
package main

import (
	"crypto/sha256"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"sync"
	"syscall"
	"time"
)

var (
	mu   sync.Mutex
	sink [][]byte
)

func churn(id int) {
	for i := 0; ; i++ {
		b := make([]byte, 4096+i%8192)
		sum := sha256.Sum256(b)
		b[0] = sum[0]
		mu.Lock()
		sink = append(sink, b)
		if len(sink) > 2000 {
			sink = sink[:0]
		}
		mu.Unlock()
		if i%1000 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
}

func main() {
	// Cores are limited to 0 bytes by default on many systems.
	_ = syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{Cur: ^uint64(0), Max: ^uint64(0)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for i := range 4 {
		go churn(i)
	}
	http.HandleFunc("/crash", func(w http.ResponseWriter, r *http.Request) {
		go func() {
			var m map[string]int
			m["crash"]++ // a real runtime fault: assignment to a nil map
		}()
		time.Sleep(time.Second)
	})
	fmt.Println(ln.Addr().String())
	if err := http.Serve(ln, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
