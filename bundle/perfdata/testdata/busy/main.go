// Command busy burns CPU on several goroutines, with syscalls in between
// so that kernel frames show, for recording perf.data fixtures and tests.
//
// Usage: busy DURATION
package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"sync"
	"time"
)

//go:noinline
func hashLoop(n int) byte {
	var b [64]byte
	for i := 0; i < n; i++ {
		s := sha256.Sum256(b[:])
		b[0] ^= s[0]
	}
	return b[0]
}

//go:noinline
func spin(n int) int {
	x := 0
	for i := 0; i < n; i++ {
		x += i * i % 7
	}
	return x
}

// readZero copies pages from /dev/zero: time in the kernel's clear_user.
func readZero(f *os.File, buf []byte) {
	for i := 0; i < 8; i++ {
		f.Read(buf)
	}
}

// bufSize is the read size; a variable so the buffer escapes to the heap.
var bufSize = 64 << 10

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: busy DURATION")
		os.Exit(2)
	}
	d, err := time.ParseDuration(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			f, err := os.Open("/dev/zero")
			if err != nil {
				panic(err)
			}
			defer f.Close()
			// A variable size keeps the buffer off the goroutine stack,
			// so the frames stay within the user stack perf copies.
			buf := make([]byte, bufSize)
			sink := 0
			for time.Now().Before(end) {
				sink += int(hashLoop(200 * (g + 1)))
				sink += spin(20000)
				readZero(f, buf)
			}
			_ = sink
		}(g)
	}
	wg.Wait()
}
