package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// runPerfCmd runs "coroner perf ARGS" in process: stdout and exit code.
func runPerfCmd(t *testing.T, args ...string) (string, int) {
	t.Helper()
	app := newApp()
	var out bytes.Buffer
	app.Writer, app.ErrWriter = &out, &bytes.Buffer{}
	err := runArgs(app, append([]string{"coroner", "perf"}, args...))
	if err == nil {
		return out.String(), exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return out.String(), ee.code
	}
	return out.String(), exitInternal
}

func TestPerfCommand(t *testing.T) {
	fixture := filepath.Join("..", "..", "bundle", "perfdata", "testdata", "fp.data")
	out, code := runPerfCmd(t, "--top", "3", fixture)
	if code != exitOK || !strings.HasPrefix(out, "# Samples: ") || strings.Count(out, "%") > 3 {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}

	export := filepath.Join(t.TempDir(), "out.pb.gz")
	if _, code := runPerfCmd(t, "--export", export, fixture); code != exitOK {
		t.Fatalf("--export: exit %d", code)
	}
	f, err := os.Open(export)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatalf("exported profile does not parse: %v", err)
	}
	if len(p.SampleType) != 2 || p.SampleType[0].Type != "samples" || p.SampleType[1].Type != "cpu" {
		t.Errorf("sample types %v", p.SampleType)
	}

	dump, code := runPerfCmd(t, "--dump", fixture)
	if code != exitOK || !strings.Contains(dump, " SAMPLE ") {
		t.Errorf("--dump: exit %d", code)
	}

	if _, code := runPerfCmd(t); code != exitUsage {
		t.Errorf("no argument: exit %d, want %d", code, exitUsage)
	}
	if _, code := runPerfCmd(t, "perf_test.go"); code != exitInput {
		t.Errorf("not a perf.data: exit %d, want %d", code, exitInput)
	}
	if _, code := runPerfCmd(t, "--binary", "perf_test.go", fixture); code != exitInput {
		t.Errorf("--binary not ELF: exit %d, want %d", code, exitInput)
	}
}

// TestPerfProcesses: a recording of several processes prints the split,
// and --pid and --comm restrict the top to one of them.
func TestPerfProcesses(t *testing.T) {
	fixture := filepath.Join("..", "..", "bundle", "perfdata", "testdata", "multi.data")
	out, code := runPerfCmd(t, fixture)
	if code != exitOK || !strings.Contains(out, "# Processes: 2 with samples") || !strings.Contains(out, "neighbour") || !strings.Contains(out, "# Samples: 7 ") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	var busyPID string
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 2 && f[1] == "busy" {
			busyPID = f[0]
		}
	}
	for _, args := range [][]string{{"--pid", busyPID}, {"--comm", "busy"}} {
		out, code := runPerfCmd(t, append(args, fixture)...)
		if code != exitOK || !strings.Contains(out, "target: PID "+busyPID+" busy") || !strings.Contains(out, "# Samples: 3 ") {
			t.Errorf("%v: exit %d, output:\n%s", args, code, out)
		}
	}
	for _, args := range [][]string{{"--pid", "1"}, {"--comm", "nginx"}, {"--pid", "0"}, {"--pid", "1", "--target"}} {
		if _, code := runPerfCmd(t, append(args, fixture)...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
