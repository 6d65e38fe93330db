package export

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/all"
	"github.com/coroner/coroner/analyze/driver"
)

// analyzeFor runs the cpu and gc_stw analyzers (and what they need) over
// input through the real pipeline and returns what Write exports.
func analyzeFor(t *testing.T, input string) *Inputs {
	t.Helper()
	in := &Inputs{Name: filepath.Base(input)}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := driver.AnalyzeWith(ctx, input, all.Analyzers, analyze.Options{Only: []string{"cpu", "gc_stw"}, Results: in.Take}, nil); err != nil {
		t.Fatalf("analyzing %s: %v", input, err)
	}
	return in
}

// TestExportsOfCorpusArchive exports the frozen crash capture (perf.data
// and a gctrace log) and reads every file back with the tool or the rules
// of its format: the totals must be the merged profile's.
func TestExportsOfCorpusArchive(t *testing.T) {
	in := analyzeFor(t, filepath.Join("..", "..", "corpus", "testdata", "crash.tar.zst"))
	if in.CPU == nil || in.CPU.Total == 0 || in.GC == nil || len(in.GC.Cycles) == 0 {
		t.Fatalf("the crash capture gave no CPU samples or GC cycles: %+v", in)
	}
	dir := t.TempDir()
	paths, skipped, err := Write(dir, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 4 || len(skipped) != 0 {
		t.Fatalf("wrote %v, skipped %v; want all four files", paths, skipped)
	}
	total := in.CPU.Total
	t.Logf("merged CPU profile: %d ns in %d stacks from %v", total, len(in.CPU.Samples), in.CPU.Sources)
	checkPprof(t, filepath.Join(dir, PprofFile), total)
	checkFolded(t, filepath.Join(dir, FoldedFile), total)
	checkSpeedscope(t, filepath.Join(dir, SpeedscopeFile), total)
	rows := readCSV(t, filepath.Join(dir, GCPausesFile))
	if want := 2 * len(in.GC.Cycles); len(rows) != want {
		t.Errorf("gc-pauses.csv has %d pause rows, want %d (two per gctrace cycle)", len(rows), want)
	}
	var sum, want int64
	for _, c := range in.GC.Cycles {
		want += int64(c.Pause())
	}
	for _, r := range rows {
		n, err := strconv.ParseInt(r[5], 10, 64)
		if err != nil {
			t.Fatalf("pause_ns %q: %v", r[5], err)
		}
		sum += n
		if r[6] == "" || r[9] == "" {
			t.Errorf("a gctrace row lacks its heap sizes: %q", r)
		}
	}
	if sum != want {
		t.Errorf("gc-pauses.csv pauses sum to %d ns, the gctrace cycles to %d", sum, want)
	}
}

// checkPprof parses the file back and, where go is installed, has
// go tool pprof print its total.
func checkPprof(t *testing.T, path string, total int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(p.SampleType) != 1 || p.SampleType[0].Type != "cpu" || p.SampleType[0].Unit != "nanoseconds" {
		t.Errorf("%s: sample types %v, want cpu/nanoseconds", path, p.SampleType)
	}
	var sum int64
	for _, s := range p.Sample {
		sum += s.Value[0]
		if len(s.Label["source"]) != 1 {
			t.Errorf("%s: a sample without its source label", path)
		}
	}
	if sum != total {
		t.Errorf("%s: samples sum to %d ns, the merged profile to %d", path, sum, total)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Logf("go is not on PATH; go tool pprof not run")
		return
	}
	out, err := exec.Command(goBin, "tool", "pprof", "-top", "-unit=ns", path).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool pprof -top %s: %v\n%s", path, err, out)
	}
	m := regexp.MustCompile(`of ([0-9]+)ns total`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("go tool pprof -top printed no total:\n%s", out)
	}
	if got, _ := strconv.ParseInt(string(m[1]), 10, 64); got != total {
		t.Errorf("go tool pprof -top: total %d ns, the merged profile %d", got, total)
	}
	t.Logf("go tool pprof -top: %s", regexp.MustCompile(`Showing .* total`).Find(out))
}

// foldedLine is FlameGraph's folded format as flamegraph.pl reads it: a
// stack of non-empty frames separated by ";", whitespace, a count.
var foldedLine = regexp.MustCompile(`^([^;\n]+(?:;[^;\n]+)*) ([0-9]+)$`)

func checkFolded(t *testing.T, path string, total int64) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(data, []byte("\n")) {
		t.Errorf("%s does not end with a newline", path)
	}
	var sum int64
	var stacks []string
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		m := foldedLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("%s:%d is not a folded stack: %q", path, i+1, line)
		}
		n, _ := strconv.ParseInt(m[2], 10, 64)
		sum += n
		stacks = append(stacks, m[1])
	}
	if sum != total {
		t.Errorf("%s: counts sum to %d ns, the merged profile to %d", path, sum, total)
	}
	return stacks
}

func checkSpeedscope(t *testing.T, path string, total int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile(filepath.Join("testdata", "speedscope-file-format-schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(speedscopeSchema, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(speedscopeSchema)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s is not JSON: %v", path, err)
	}
	if err := s.Validate(inst); err != nil {
		t.Fatalf("%s does not follow speedscope's file format schema: %v", path, err)
	}
	// The schema catches a unit speedscope does not know.
	bad, _ := jsonschema.UnmarshalJSON(bytes.NewReader(bytes.Replace(data, []byte(`"unit":"nanoseconds"`), []byte(`"unit":"ns"`), 1)))
	if s.Validate(bad) == nil {
		t.Errorf("the schema accepts a profile in unit ns")
	}
	var f speedscopeFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Profiles) != 1 {
		t.Fatalf("%s: %d profiles, want 1", path, len(f.Profiles))
	}
	p := f.Profiles[0]
	if len(p.Samples) != len(p.Weights) {
		t.Errorf("%s: %d samples, %d weights", path, len(p.Samples), len(p.Weights))
	}
	var sum int64
	for i, st := range p.Samples {
		sum += p.Weights[i]
		for _, fr := range st {
			if fr < 0 || fr >= len(f.Shared.Frames) {
				t.Fatalf("%s: sample %d names frame %d of %d", path, i, fr, len(f.Shared.Frames))
			}
		}
	}
	if sum != total || p.EndValue-p.StartValue != total {
		t.Errorf("%s: weights sum to %d ns, end-start %d, the merged profile %d", path, sum, p.EndValue-p.StartValue, total)
	}
}

// readCSV reads a GC pause timeline strictly (every row as wide as the
// header, RFC 4180 quoting) and returns the rows after the header.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(data, []byte("\r\n")) {
		t.Errorf("%s: lines do not end in CRLF", path)
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = len(gcPausesHeader)
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if strings.Join(recs[0], ",") != strings.Join(gcPausesHeader, ",") {
		t.Errorf("%s: header %q", path, recs[0])
	}
	return recs[1:]
}
