package servicelog

import (
	"bytes"
	"io"
	"runtime/pprof"
	"strings"
	"testing"

	"github.com/coroner/coroner/bundle/gctrace"

	slt "github.com/coroner/coroner/bundle/servicelog/servicelogtest"
)

// BenchmarkFind finds a real crash at the end of a 1 GiB log (generated
// as it is read, never stored) of JSON lines with gctrace lines among
// them, plain and as Docker and CRI store it: the work is reading the
// last MiB. Compare with corpus/bench/log.sh, which runs coroner
// and grep over such a file.
func BenchmarkFind(b *testing.B) { benchTail(b, Find, firstWindow) }

// BenchmarkSurvey is BenchmarkFind for Survey, which ingest uses: it reads
// all of the last TailBytes.
func BenchmarkSurvey(b *testing.B) { benchTail(b, Survey, TailBytes) }

func benchTail(b *testing.B, find func(io.ReaderAt, int64, string) (*Found, error), read int64) {
	o := crashRun(b, "all")
	for _, w := range []slt.Wrapper{slt.Wrappers[0], slt.Wrappers[1], slt.Wrappers[3]} {
		b.Run(w.Name, func(b *testing.B) {
			var rs []slt.Record
			for i := range 99 {
				rs = append(rs, slt.Record{Stream: "stdout", Text: jsonNoise(i)})
			}
			rs = append(rs, slt.Record{Stream: "stderr", Text: "gc 12 @0.073s 3%: 0.13+0.90+0.039 ms clock, 0.27+0.11/0.3/0+0.078 ms cpu, 9->10->5 MB, 11 MB goal, 0 MB stacks, 0 MB globals, 2 P"})
			noise := w.Wrap(rs)
			tail := w.Wrap(slt.Merge(o.stdout, o.stderr, "panic: "))
			v := &virtualLog{noise: noise, tail: tail, size: (1<<30)/int64(len(noise))*int64(len(noise)) + int64(len(tail))}
			b.SetBytes(read)
			b.ReportAllocs()
			for b.Loop() {
				f, err := find(v, v.size, "bench")
				if err != nil || f.Last == nil {
					b.Fatal(err, f)
				}
			}
		})
	}
}

// BenchmarkReaderGCTrace reads gctrace cycles through Reader from a log
// that is mostly a goroutine dump this process writes of 20,000 parked
// goroutines, as the log of a service killed with SIGQUIT is: the lines
// gctrace skips are the cost.
func BenchmarkReaderGCTrace(b *testing.B) {
	release := make(chan struct{})
	for range 20000 {
		go func() { <-release }()
	}
	var dump bytes.Buffer
	err := pprof.Lookup("goroutine").WriteTo(&dump, 2)
	close(release)
	if err != nil {
		b.Fatal(err)
	}
	gc := "gc 12 @0.073s 3%: 0.13+0.90+0.039 ms clock, 0.27+0.11/0.3/0+0.078 ms cpu, 9->10->5 MB, 11 MB goal, 0 MB stacks, 0 MB globals, 2 P\n"
	log := append([]byte(strings.Repeat(gc, 100)), dump.Bytes()...)
	b.SetBytes(int64(len(log)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(log), "bench")
		if err != nil {
			b.Fatal(err)
		}
		s, err := gctrace.Summarize(r, "bench")
		if err != nil || s.Cycles != 100 {
			b.Fatal(err, s)
		}
	}
}
