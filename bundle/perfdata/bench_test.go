package perfdata

import (
	"os"
	"testing"
)

// BenchmarkTop measures the flat top-N path (what coroner perf --top does)
// on the perf.data named by CORONER_PERF_BENCH (corpus/bench/perf.sh
// records one), with /proc/kallsyms for kernel frames.
func BenchmarkTop(b *testing.B) {
	path := os.Getenv("CORONER_PERF_BENCH")
	if path == "" {
		b.Skip("set CORONER_PERF_BENCH to a large perf.data (corpus/bench/perf.sh records one)")
	}
	for b.Loop() {
		a, err := AggregateFile(path, Options{Kallsyms: kallsymsFile, LeafOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		a.Top(20)
	}
}

// BenchmarkProfile measures conversion with whole call chains.
func BenchmarkProfile(b *testing.B) {
	path := os.Getenv("CORONER_PERF_BENCH")
	if path == "" {
		b.Skip("set CORONER_PERF_BENCH to a large perf.data (corpus/bench/perf.sh records one)")
	}
	for b.Loop() {
		a, err := AggregateFile(path, Options{Kallsyms: kallsymsFile})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.Profile(); err != nil {
			b.Fatal(err)
		}
	}
}

// kallsymsFile is a kallsyms snapshot for the benchmarks: a regular file
// like the one an archive holds (reading /proc/kallsyms itself costs the
// kernel more than parsing it).
var kallsymsFile = func() string {
	if p := os.Getenv("CORONER_KALLSYMS"); p != "" {
		return p
	}
	return "/proc/kallsyms"
}()
