package analyzetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
			"-o", filepath.Join(dir, "perf.data")) // its output goes to the null device
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
