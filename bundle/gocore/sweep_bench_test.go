package gocore

import (
	"fmt"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/testcore"
)

// BenchmarkInPlaceCensus100k reads the census of a 100k-goroutine
// snapshot where it lies in an archive, in this process, and reports what
// it decoded against the core's size and its peak heap: the sweep in
// address order (walk.go) decodes each frame holding goroutines about
// once, and the heap grows with goroutines by their records, not their
// stacks. corpus/bench/core.sh takes the same census at a million.
func BenchmarkInPlaceCensus100k(b *testing.B) {
	const n = 100000
	exe := testcore.BuildIn(b, tmpDir, fmt.Sprintf(manySrc, n))
	p := testcore.Start(b, exe, "ready")
	core := p.Gcore(b)
	p.Quit(b)
	path := ingestCore(b, core, exe)
	a, err := bundle.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	art := a.Manifest().ArtifactsOf(bundle.KindCore)[0]
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mr, err := a.OpenMember(art)
		if err != nil {
			b.Fatal(err)
		}
		stop := samplePeakHeap()
		c, err := directCensus(mr, mr.Size(), art.Path, exe, nil)
		peak := stop()
		decoded := mr.Decoded()
		mr.Close()
		if err != nil {
			b.Fatal(err)
		}
		if c.Total() < n {
			b.Fatalf("census of %d goroutines", c.Total())
		}
		b.ReportMetric(float64(decoded)/float64(art.Size), "decoded/core")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	}
}

// samplePeakHeap samples the heap's live and unswept objects every
// millisecond until the returned function is called, which returns the
// largest sample.
func samplePeakHeap() func() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}
