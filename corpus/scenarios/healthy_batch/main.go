// Command healthy_batch is a nightly export job: a reader fills a fixed
// set of record buffers, workers compress and checksum them, and a writer sorts the
// checksums into manifests. It is CPU-bound throughout, handing work
// over channels, and serves only /debug/pprof/ — the baseline every
// analyzer must leave alone for batch work.
package main

import (
	"compress/flate"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"runtime"
	"sort"

	"github.com/coroner/coroner/corpus/scenarios/internal/service"
)

// record fills rec with the i-th record's bytes.
func record(rec []byte, i int) []byte {
	for j := range rec {
		rec[j] = byte((i*31 + j*j) % 251)
	}
	return rec
}

// export runs the pipeline until ctx ends.
func export(ctx context.Context, size, workers int) {
	in := make(chan []byte, 2*workers)
	out := make(chan [32]byte, 2*workers)
	// Record buffers go back to the reader once checksummed, as a job
	// reading into a fixed set of buffers does.
	free := make(chan []byte, 4*workers)
	for range cap(free) {
		free <- make([]byte, size)
	}
	go func() {
		defer close(in)
		for i := 0; ctx.Err() == nil; i++ {
			in <- record(<-free, i)
		}
	}()
	done := make(chan struct{})
	for range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			zw, _ := flate.NewWriter(io.Discard, flate.DefaultCompression)
			for rec := range in {
				zw.Reset(io.Discard)
				_, _ = zw.Write(rec)
				_ = zw.Close()
				out <- sha256.Sum256(rec)
				free <- rec
			}
		}()
	}
	go func() {
		for range workers {
			<-done
		}
		close(out)
	}()
	var manifest [][32]byte
	for s := range out {
		manifest = append(manifest, s)
		if len(manifest) == 256 {
			sort.Slice(manifest, func(i, j int) bool { return string(manifest[i][:]) < string(manifest[j][:]) })
			manifest = manifest[:0]
		}
	}
}

func main() {
	cfg := service.Flags()
	size := service.Pick(cfg.Severity, 4<<10, 32<<10)
	service.Serve(cfg, http.NewServeMux(), func(ctx context.Context, base string) {
		export(ctx, size, runtime.GOMAXPROCS(0))
	})
}
