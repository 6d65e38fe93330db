package analyzetest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// runLoad runs the load generator when the process was started as one,
// until it is killed; it returns false otherwise.
func runLoad() bool {
	spec := os.Getenv(envLoad)
	if spec == "" {
		return false
	}
	kind, addr, _ := strings.Cut(spec, " ")
	ctx := context.Background()
	switch kind {
	case "http":
		loadHTTP(ctx, addr, 8)
	case "lines":
		loadLines(ctx, addr, 256, 10*time.Millisecond)
	default:
		fmt.Fprintf(os.Stderr, "load: unknown kind %q\n", kind)
		os.Exit(2)
	}
	return true
}

// loadHTTP calls the quote API from workers goroutines back to back over
// keep-alive connections.
func loadHTTP(ctx context.Context, addr string, workers int) {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; ctx.Err() == nil; j++ {
				url := fmt.Sprintf("http://%s/quote?route=r%d&legs=%d", addr, (i*7+j)%500, 50+j%200)
				resp, err := client.Get(url)
				if err != nil {
					time.Sleep(time.Millisecond)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
}

// loadLines holds conns connections to the line-protocol server, each
// sending a command, reading the reply and pausing about pause, as many
// clients with their own think time would.
func loadLines(ctx context.Context, addr string, conns int, pause time.Duration) {
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer c.Close()
			r := bufio.NewReader(c)
			for j := 0; ctx.Err() == nil; j++ {
				cmd := fmt.Sprintf("GET k%d\n", (i+j)%1000)
				if j%4 == 0 {
					cmd = fmt.Sprintf("ADD k%d %d\n", (i+j)%1000, j)
				}
				if _, err := io.WriteString(c, cmd); err != nil {
					return
				}
				if _, err := r.ReadString('\n'); err != nil {
					return
				}
				time.Sleep(pause/2 + time.Duration((i*131+j*17)%1000)*pause/1000)
			}
		}()
	}
	wg.Wait()
}
