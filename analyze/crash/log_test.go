package crash

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/ingest"
	slt "github.com/coroner/coroner/bundle/servicelog/servicelogtest"
	"github.com/coroner/coroner/internal/testcore"
)

// serviceSrc logs JSON lines to stderr and collects garbage while it
// serves, then a worker writes to a nil map.
const serviceSrc = `package main

import (
	"fmt"
	"os"
	"time"
)

type cache struct{ m map[string][]byte }

func (c *cache) store(k string, v []byte) { c.m[k] = v }

func handle(c *cache, req string) { c.store(req, nil) }

var sink [][]byte

func main() {
	for i := 0; i < 3000; i++ {
		sink = append(sink, make([]byte, 64<<10))
		if len(sink) > 40 {
			sink = sink[1:]
		}
		if i%300 == 0 {
			fmt.Fprintf(os.Stderr, "{\"level\":\"info\",\"msg\":\"served\",\"n\":%d}\n", i)
		}
	}
	c := &cache{}
	for i := 0; i < 3; i++ {
		go func() { time.Sleep(time.Hour) }()
	}
	go handle(c, "key")
	time.Sleep(time.Hour)
}
`

// TestLogAgreesWithCore: the binary and the service's log alone, in each
// format a host or cluster stores it (with 20,000 application lines before
// the crash), give the crash, its site and the same signature as the
// binary and the core of the same crash.
func TestLogAgreesWithCore(t *testing.T) {
	exe := testcore.Build(t, serviceSrc)
	core, stderr := testcore.Crash(t, exe, "GODEBUG=gctrace=1")
	var noise bytes.Buffer
	for i := range 20000 {
		fmt.Fprintf(&noise, "{\"level\":\"info\",\"msg\":\"request\",\"id\":%d,\"path\":\"/v1/items\"}\n", i)
	}
	stderr = append(noise.Bytes(), stderr...)
	ctx := context.Background()
	coreSrc, err := analyzetest.NewDirSource("core", []analyzetest.File{{Disk: exe, Kind: bundle.KindGoBinary}, {Disk: core, Kind: bundle.KindCore}})
	if err != nil {
		t.Fatal(err)
	}
	want, _, _, _, err := Read(ctx, coreSrc, false)
	if err != nil || want == nil {
		t.Fatalf("core: %v %+v", err, want)
	}
	if want.Crash.Site == nil || want.Crash.Site.Func != "main.(*cache).store" {
		t.Fatalf("core: site %+v", want.Crash.Site)
	}
	dir := t.TempDir()
	for _, w := range slt.Wrappers {
		t.Run(w.Name, func(t *testing.T) {
			log := w.Wrap(slt.Merge(nil, stderr, "panic: "))
			path := filepath.Join(dir, w.Name+".log")
			if err := os.WriteFile(path, log, 0o644); err != nil {
				t.Fatal(err)
			}
			k, attrs, _ := ingest.Sniff(bytes.NewReader(log), int64(len(log)))
			if k != bundle.KindLog || attrs["log_format"] != w.Format || attrs["tracebacks"] != "1" {
				t.Fatalf("sniffed %s %v", k, attrs)
			}
			src, err := analyzetest.NewDirSource("log", []analyzetest.File{{Disk: exe, Kind: bundle.KindGoBinary}, {Disk: path, Kind: bundle.KindLog}})
			if err != nil {
				t.Fatal(err)
			}
			got, _, _, _, err := Read(ctx, src, false)
			if err != nil || got == nil {
				t.Fatalf("log: %v %+v", err, got)
			}
			g, c := got.Crash, want.Crash
			if g.Kind != c.Kind || g.Message != c.Message || *g.Site != *c.Site || got.Signature != want.Signature || got.SignatureKey != want.SignatureKey {
				t.Errorf("log gives %s %q at %+v, %s %s;\ncore gives %s %q at %+v, %s %s",
					g.Kind, g.Message, g.Site, got.SignatureKey, got.Signature, c.Kind, c.Message, c.Site, want.SignatureKey, want.Signature)
			}
		})
	}
}
