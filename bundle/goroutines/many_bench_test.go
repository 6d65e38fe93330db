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

// crowdOnOwnChannels is a census of n goroutines parked in one place,
// each on a channel of its own, as request goroutines waiting for their
// own replies are.
func crowdOnOwnChannels(n int) *Census {
	frames := []Frame{{Func: "main.wait", File: "/src/main.go", Line: 10}, {Func: "main.serve", File: "/src/main.go", Line: 20}}
	c := &Census{Complete: true}
	for i := range n {
		c.Goroutines = append(c.Goroutines, Goroutine{ID: int64(i + 1), Status: "chan receive", Frames: frames, LockAddr: 0xc000100000 + uint64(n-i)*64})
	}
	return c
}

// BenchmarkGroupOwnChannels groups 100,000 goroutines each waiting on its
// own channel: the work grows with the goroutines, not with their square.
func BenchmarkGroupOwnChannels(b *testing.B) {
	c := crowdOnOwnChannels(100000)
	for b.Loop() {
		Group(c)
	}
}
