package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/all"
	"github.com/coroner/coroner/analyze/driver"
	"github.com/coroner/coroner/internal/batch"
	"github.com/coroner/coroner/internal/hostile"
	"github.com/coroner/coroner/internal/index"
	"github.com/coroner/coroner/internal/worker"
)

func TestMain(m *testing.M) {
	batch.RegisterWorker(batch.Analysis{Analyze: func(ctx context.Context, input string, o analyze.Options) (*analyze.Result, error) {
		return driver.Analyze(ctx, input, all.Analyzers, o)
	}, Seekable: all.Seekable})
	worker.Main()
	code := m.Run()
	if fix.dir != "" {
		os.RemoveAll(fix.dir)
	}
	os.Exit(code)
}

// corpusArchives are the frozen corpus archives the fixture analyses: the
// crash scenario captured twice (by coroner collect and with the plain
// tools, one bug so one signature), a deadlock and a healthy service.
var corpusArchives = []string{"crash.tar.zst", "foreign/crash.tar.zst", "deadlock.tar.zst", "healthy.tar.zst"}

// crashSignature is the signature both crash captures carry (coroner crash
// on either archive prints it).
const crashSignature = "crash:v1:7c05468abc79a13a"

// The run whose every string is hostile: its digest, cause, signature
// and culprit, before and after the re-analysis.
const (
	hostileDigest         = "00000000000000000000000000000000000000000000000000000000deadbeef"
	hostileCause          = analyze.CauseLockWait
	hostileSignature      = hostileCause + ":<script>alert(1)</script>"
	hostileCulprit        = "</script><script>alert(4)</script>"
	hostileChangedCulprit = `"><img src=x onerror=alert(2)>`
)

// nextSet suffixes the batch's analyzer set for the same results indexed
// again, as after an upgrade that changed nothing but the hostile run.
const nextSet = "-next"

// fixture is a batch output directory with its index, built once.
type fixture struct {
	once sync.Once
	err  error
	dir  string
	set  string
}

var fix fixture

// batchFixture runs the real analysis of the corpus archives into a
// batch output directory (results and index), adds the hostile run, and
// indexes everything again under a second analyzer set.
func batchFixture(t *testing.T) *fixture {
	t.Helper()
	fix.once.Do(func() { fix.err = fix.build() })
	if fix.err != nil {
		t.Fatal(fix.err)
	}
	return &fix
}

func (f *fixture) build() error {
	dir, err := os.MkdirTemp("", "coroner-serve-test-")
	if err != nil {
		return err
	}
	f.dir = dir
	var inputs []string
	for _, a := range corpusArchives {
		p := filepath.Join("..", "..", "corpus", "testdata", a)
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("corpus archive: %w", err)
		}
		inputs = append(inputs, p)
	}
	f.set = index.SetVersionOf(all.Analyzers)
	ctx := context.Background()
	s, err := batch.Run(ctx, inputs, nil, batch.Options{Jobs: 2, Out: dir, AnalyzerSet: f.set,
		Limits: worker.Limits{Memory: 1 << 30, Timeout: 5 * time.Minute}})
	if err != nil {
		return fmt.Errorf("batch: %w", err)
	}
	if s.OK != len(inputs) {
		return fmt.Errorf("batch analysed %d of %d archives: %+v", s.OK, len(inputs), s.Entries)
	}
	hostile, err := hostileResult(filepath.Join(dir, s.Entries[0].Result))
	if err != nil {
		return err
	}
	if err := writeResult(filepath.Join(dir, "results", hostileDigest+"@"+f.set+".json"), hostile); err != nil {
		return err
	}
	db, err := index.Open(ctx, filepath.Join(dir, index.FileName))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Add(ctx, index.FromResult(hostile, f.set, "hostile")); err != nil {
		return err
	}
	// The same results again under the next analyzer set, indexed later,
	// as a batch after an upgrade stores them; the re-analysis blames
	// another function for the hostile incident.
	later := time.Now().Add(time.Second)
	var runs []index.Run
	results := []*analyze.Result{}
	for _, e := range s.Entries {
		res, err := batch.ReadResult(filepath.Join(dir, e.Result))
		if err != nil {
			return err
		}
		results = append(results, res)
	}
	hostile.Verdict.Culprit = &analyze.Culprit{Function: hostileChangedCulprit}
	results = append(results, hostile)
	for _, res := range results {
		name := filepath.Join(dir, "results", res.Incident.ArchiveDigest+"@"+f.set+nextSet+".json")
		if err := writeResult(name, res); err != nil {
			return err
		}
		run := index.FromResult(res, f.set+nextSet, name)
		run.IndexedAt = later
		runs = append(runs, run)
	}
	return db.Add(ctx, runs...)
}

// hostileResult is a real result with every string a person reads on the
// server's pages replaced by a hostile one: incident, verdict, signature,
// culprit, build facts and the inventory.
func hostileResult(path string) (*analyze.Result, error) {
	r, err := batch.ReadResult(path)
	if err != nil {
		return nil, err
	}
	i := 0
	next := func() string { s := hostileStrings[i%len(hostileStrings)]; i++; return s }
	r.Incident.ArchiveDigest = hostileDigest
	r.Verdict.Cause, r.Verdict.Signature = hostileCause, hostileSignature
	r.Verdict.Culprit = &analyze.Culprit{Function: hostileCulprit, File: next(), Line: 1}
	r.Incident.ID, r.Incident.Title = next(), next()
	r.Incident.Labels = map[string]string{"host": next()}
	r.Verdict.Headline = next()
	for k := range r.Inventory {
		fillStrings(reflect.ValueOf(&r.Inventory[k]).Elem(), next)
	}
	r.Inventory = append(r.Inventory, analyze.Item{Path: next(), Kind: "go-binary", Attrs: map[string]string{
		"go_version": next(), "main_path": next(), "vcs_revision": next()}})
	return r, nil
}

func writeResult(path string, r *analyze.Result) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// fillStrings sets every settable string reachable from v (fields,
// slices, string maps) to next().
func fillStrings(v reflect.Value, next func() string) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString(next())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fillStrings(v.Field(i), next)
			}
		}
	case reflect.Map:
		if v.Type().Key().Kind() == reflect.String && v.Type().Elem().Kind() == reflect.String {
			m := reflect.MakeMap(v.Type())
			for range max(v.Len(), 1) {
				m.SetMapIndex(reflect.ValueOf(next()), reflect.ValueOf(next()))
			}
			v.Set(m)
		}
	}
}

// hostileStrings is the hostile-panic payload of the report tests
// (internal/hostile).
var hostileStrings = hostile.Strings

// newServer serves the fixture on 127.0.0.1, stopped when the test ends.
func newServer(t *testing.T, f *fixture, basePath string) (*httptest.Server, *index.DB) {
	t.Helper()
	ctx := context.Background()
	db, err := index.OpenExisting(ctx, filepath.Join(f.dir, index.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	results, err := NewDir(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Index: db, Results: results, BasePath: basePath})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, db
}
