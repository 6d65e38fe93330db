package bundle

import (
	"os"
	"testing"
	"time"
)

// BenchmarkFrameIndexOpen indexes an archive of 32 coroner frames (128 MiB
// decoded) the two ways an Archive can: from its frame table (one read of
// the tail) and by walking every frame from the start with the seal
// checked, as every archive was opened before the table existed. Both run
// in each iteration; walk/table is their time ratio.
func BenchmarkFrameIndexOpen(b *testing.B) {
	path, _, _ := lateArchive(b, 31)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	var table, walk time.Duration
	for b.Loop() {
		t0 := time.Now()
		x, err := buildFrameIndex(path, false)
		if err != nil {
			b.Fatal(err)
		}
		if x.sums == nil {
			b.Fatal("index not built from the frame table")
		}
		x.release()
		t1 := time.Now()
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		y, err := walkFrameIndex(f, path, false)
		if err != nil {
			b.Fatal(err)
		}
		y.release()
		t2 := time.Now()
		table += t1.Sub(t0)
		walk += t2.Sub(t1)
	}
	b.ReportMetric(float64(table.Microseconds())/float64(b.N), "table-µs/op")
	b.ReportMetric(float64(walk.Microseconds())/float64(b.N), "walk-µs/op")
	b.ReportMetric(float64(walk)/float64(table), "walk/table")
	b.ReportMetric(float64(st.Size())/(1<<20), "archive-MiB")
}
