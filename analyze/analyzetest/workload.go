package analyzetest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"testing"
	"time"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/worker"
)

// Environment variables that turn a re-executed test binary into a workload.
const (
	envWorkload = "CORONER_TEST_WORKLOAD"
	envDir      = "CORONER_TEST_WORKLOAD_DIR"
	envDuration = "CORONER_TEST_WORKLOAD_DURATION"
)

// Main runs a workload and exits when the process was started by Capture,
// or runs a worker (internal/worker) when an analyzer re-executed the test
// binary as one; otherwise it returns. Call it first in TestMain: without
// it a re-executed test binary would run the tests again instead.
func Main() {
	worker.Main()
	if runLoad() {
		os.Exit(0)
	}
	name := os.Getenv(envWorkload)
	if name == "" {
		return
	}
	d, err := time.ParseDuration(os.Getenv(envDuration))
	if err != nil {
		d = time.Second
	}
	if err := record(name, os.Getenv(envDir), d); err != nil {
		fmt.Fprintln(os.Stderr, "workload:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// Capture runs workload name for d in a child process (this test binary,
// re-executed) with GODEBUG=gctrace=1, recording a CPU profile, an execution
// trace, mutex, block, allocs and goroutine profiles and the gctrace log. It
// returns the files as artifacts with their kinds.
func Capture(t testing.TB, name string, d time.Duration) []File {
	t.Helper()
	return capture(t, name, d, false)
}

// CapturePerf is Capture with the child also recorded by the real
// `perf record -g` (frame-pointer call graphs, 999 Hz); the files add
// perf.data and the executable, for symbolization. It skips the test,
// saying why, when perf is missing or not permitted here.
func CapturePerf(t testing.TB, name string, d time.Duration) []File {
	t.Helper()
	perf, err := exec.LookPath("perf")
	if err != nil {
		t.Skip("perf is not installed (apt-get install linux-perf)")
	}
	probe := exec.Command(perf, "record", "-q", "-o", filepath.Join(t.TempDir(), "probe.data"), "--", "true")
	if out, err := probe.CombinedOutput(); err != nil {
		t.Skipf("perf record is not permitted here: %v: %s", err, out)
	}
	return capture(t, name, d, true)
}

func capture(t testing.TB, name string, d time.Duration, withPerf bool) []File {
	t.Helper()
	var prefix []string
	if withPerf {
		prefix = []string{"perf", "record", "-q", "-F", "999", "-g", "-o", "perf.data", "--"}
	}
	cmd, dir, exe, log := workloadCommand(t, name, d, prefix...)
	defer log.Close()
	if out, err := cmd.Output(); err != nil {
		t.Fatalf("workload %s: %v\n%s", name, err, out)
	}
	files := captureFiles(dir)
	if withPerf {
		files = append(files, File{Disk: filepath.Join(dir, "perf.data"), Kind: bundle.KindPerfData},
			File{Disk: exe, Kind: bundle.KindGoBinary})
	}
	return files
}

// workloadCommand prepares the child that runs workload name for d in a
// fresh directory, its stderr (the gctrace lines) going to gctrace.log
// there. prefix, when given, is a command the child runs under (perf
// record … --), with relative paths in it taken in that directory. The
// caller closes log once the child has ended.
func workloadCommand(t testing.TB, name string, d time.Duration, prefix ...string) (cmd *exec.Cmd, dir, exe string, log *os.File) {
	t.Helper()
	if _, ok := lookup(name); !ok {
		t.Fatalf("unknown workload %q", name)
	}
	dir = t.TempDir()
	log, err := os.Create(filepath.Join(dir, "gctrace.log"))
	if err != nil {
		t.Fatal(err)
	}
	exe, err = os.Executable()
	if err != nil {
		log.Close()
		t.Fatal(err)
	}
	args := append(append([]string{}, prefix...), exe, "-test.run=^$")
	cmd = exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), envWorkload+"="+name, envDir+"="+dir, envDuration+"="+d.String(),
		"GODEBUG=gctrace=1", "GOMAXPROCS=4")
	cmd.Stderr = log
	return cmd, dir, exe, log
}

// captureFiles lists the files a workload records in dir.
func captureFiles(dir string) []File {
	return []File{
		{Disk: filepath.Join(dir, "cpu.pprof"), Kind: bundle.KindPprof},
		{Disk: filepath.Join(dir, "mutex.pprof"), Kind: bundle.KindPprof},
		{Disk: filepath.Join(dir, "block.pprof"), Kind: bundle.KindPprof},
		{Disk: filepath.Join(dir, "allocs.pprof"), Kind: bundle.KindPprof},
		{Disk: filepath.Join(dir, "trace.out"), Kind: bundle.KindTrace},
		{Disk: filepath.Join(dir, "gctrace.log"), Kind: bundle.KindGCTrace},
		{Disk: filepath.Join(dir, "goroutines.txt"), Kind: bundle.KindGoroutineDump},
	}
}

// Only keeps the files of the given kinds (and, for pprof, whose base name
// starts with one of prefixes when any are given).
func Only(files []File, kind bundle.Kind, prefixes ...string) []File {
	var out []File
	for _, f := range files {
		if f.Kind != kind {
			continue
		}
		keep := len(prefixes) == 0
		for _, p := range prefixes {
			if len(filepath.Base(f.Disk)) >= len(p) && filepath.Base(f.Disk)[:len(p)] == p {
				keep = true
			}
		}
		if keep {
			out = append(out, f)
		}
	}
	return out
}

// Source builds a DirSource over files and fails the test on error.
func Source(t testing.TB, files []File) *DirSource {
	t.Helper()
	s, err := NewDirSource(t.Name(), files)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Workloads lists the workload names Capture accepts.
func Workloads() []string {
	var out []string
	for n := range workloads {
		out = append(out, n)
	}
	for n := range serviceWorkloads {
		out = append(out, n)
	}
	for n := range faultWorkloads {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// record runs one workload in this process with profiling on.
func record(name, dir string, d time.Duration) error {
	work, _ := lookup(name)
	runtime.SetMutexProfileFraction(1)
	runtime.SetBlockProfileRate(int(10 * time.Microsecond))
	cpu, err := os.Create(filepath.Join(dir, "cpu.pprof"))
	if err != nil {
		return err
	}
	tr, err := os.Create(filepath.Join(dir, "trace.out"))
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		return err
	}
	if err := trace.Start(tr); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	stop := work(ctx)
	// The goroutine dump is a snapshot in the middle of the run, as a
	// SIGQUIT or /debug/pprof/goroutine?debug=2 during an incident would be.
	time.Sleep(d / 2)
	if err := writeProfile("goroutine", 2, filepath.Join(dir, "goroutines.txt")); err != nil {
		return err
	}
	<-ctx.Done()
	trace.Stop()
	pprof.StopCPUProfile()
	stop()
	for _, p := range []struct{ name, file string }{{"mutex", "mutex.pprof"}, {"block", "block.pprof"}, {"allocs", "allocs.pprof"}} {
		if err := writeProfile(p.name, 0, filepath.Join(dir, p.file)); err != nil {
			return err
		}
	}
	if err := cpu.Close(); err != nil {
		return err
	}
	return tr.Close()
}

func writeProfile(name string, debug int, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup(name).WriteTo(f, debug); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
