package analyzetest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coroner/coroner/bundle"
)

// envLoad turns a re-executed test binary into a load generator: "KIND
// ADDR" with KIND http or lines.
const envLoad = "CORONER_TEST_LOAD"

// loadKinds says which load generator calls which server workload.
var loadKinds = map[string]string{"http": "http", "lines": "lines"}

// CaptureLoaded is Capture for the service workloads: it starts the
// workload, and when it is a server, a load generator in a process of its
// own calling it for the whole run. With perf it also records the
// workload's process, and only it, the way an operator does on a live
// service (`perf record -g -p PID`), when perf is installed and
// permitted here (the test log says when it is not, and the files then
// hold no perf.data).
func CaptureLoaded(t testing.TB, name string, d time.Duration, withPerf bool) []File {
	t.Helper()
	if withPerf {
		if err := perfUsable(t); err != nil {
			t.Logf("no perf.data: %v", err)
			withPerf = false
		}
	}
	cmd, dir, exe, log := workloadCommand(t, name, d)
	defer log.Close()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var perf *exec.Cmd
	if withPerf {
		perf = exec.Command("perf", "record", "-q", "-F", "999", "-g", "-p", strconv.Itoa(cmd.Process.Pid),
			"-o", filepath.Join(dir, "perf.data"))
		perf.Stdout, perf.Stderr = io.Discard, io.Discard
		if err := perf.Start(); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("perf record: %v", err)
		}
	}
	var load *exec.Cmd
	if kind, ok := loadKinds[name]; ok {
		addr, err := waitAddr(filepath.Join(dir, addrFile), 10*time.Second)
		if err == nil {
			load = exec.Command(exe, "-test.run=^$")
			load.Env = append(os.Environ(), envLoad+"="+kind+" "+addr, "GOMAXPROCS=2")
			err = load.Start()
		}
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("load for %s: %v", name, err)
		}
	}
	werr := cmd.Wait()
	if load != nil {
		load.Process.Kill()
		load.Wait()
	}
	if perf != nil {
		// perf record -p ends by itself when the process exits.
		if err := perf.Wait(); err != nil {
			t.Logf("perf record: %v", err)
		}
	}
	if werr != nil {
		t.Fatalf("workload %s: %v", name, werr)
	}
	files := captureFiles(dir)
	if withPerf {
		files = append(files, File{Disk: filepath.Join(dir, "perf.data"), Kind: bundle.KindPerfData},
			File{Disk: exe, Kind: bundle.KindGoBinary})
	}
	return files
}

// perfUsable says why perf cannot record here, or nil when it can.
func perfUsable(t testing.TB) error {
	t.Helper()
	perf, err := exec.LookPath("perf")
	if err != nil {
		return fmt.Errorf("perf is not installed (apt-get install linux-perf)")
	}
	probe := exec.Command(perf, "record", "-q", "-o", filepath.Join(t.TempDir(), "probe.data"), "--", "true")
	if out, err := probe.CombinedOutput(); err != nil {
		return fmt.Errorf("perf record is not permitted here: %w: %s", err, out)
	}
	return nil
}

// waitAddr waits for a server workload to publish its address.
func waitAddr(path string, limit time.Duration) (string, error) {
	deadline := time.Now().Add(limit)
	for {
		b, err := os.ReadFile(path)
		if err == nil && len(b) > 0 {
			return string(b), nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no listen address in %s after %v", path, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

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
