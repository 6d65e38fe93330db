// Command neighbour burns CPU in one function of its own, as a second Go
// program on the host beside the one under study, for the per-process
// tests.
//
// Usage: neighbour DURATION
package main

import (
	"fmt"
	"os"
	"time"
)

//go:noinline
func neighbourLoop(n int) uint64 {
	x := uint64(1)
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: neighbour DURATION")
		os.Exit(2)
	}
	d, err := time.ParseDuration(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var sink uint64
	for end := time.Now().Add(d); time.Now().Before(end); {
		sink += neighbourLoop(1 << 20)
	}
	os.Exit(int(sink & 0))
}
