package goroutines

import (
	"bytes"
	"runtime/pprof"
	"testing"
)

// manyDump returns a goroutine?debug=2 dump this process writes while n
// goroutines wait on a channel, as a service with a crowd of parked
// goroutines would print it.
func manyDump(b *testing.B, n int) []byte {
	b.Helper()
	release := make(chan struct{})
	defer close(release)
	for range n {
		go func() { <-release }()
	}
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 2); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkParseDumpMany parses a real debug=2 dump of 20,000 goroutines:
// the per-goroutine cost that a crash log or dump of a large service
// multiplies.
func BenchmarkParseDumpMany(b *testing.B) {
	const n = 20000
	data := manyDump(b, n)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		c, err := ParseDump(bytes.NewReader(data), "many")
		if err != nil {
			b.Fatal(err)
		}
		if len(c.Goroutines) < n {
			b.Fatalf("%d goroutines, want at least %d", len(c.Goroutines), n)
		}
	}
}
