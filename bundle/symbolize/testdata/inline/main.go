// Command inline prints the logical frames of a stack taken from inside
// two levels of inlined calls, as the Go runtime expands them: one
// "pc<TAB>func<TAB>file<TAB>line<TAB>inlined" line per frame, innermost
// first. A frame that is not inlined carries its physical return address;
// the inlined frames just before it are expanded from that address. The
// symbolize tests compare their own expansion with it.
package main

import (
	"fmt"
	"runtime"
)

var sink int

func leaf() []uintptr {
	pcs := make([]uintptr, 16)
	return pcs[:runtime.Callers(1, pcs)]
}

// middle and outer are small enough for the compiler to inline.
func middle(x int) []uintptr {
	sink += x
	return leaf()
}

func outer(x int) []uintptr {
	sink *= x
	return middle(x + 1)
}

//go:noinline
func caller() []uintptr { return outer(3) }

func main() {
	frames := runtime.CallersFrames(caller())
	for {
		f, more := frames.Next()
		inl := f.Func == nil // inlined frames have no *Func
		fmt.Printf("%#x\t%s\t%s\t%d\t%v\n", f.PC, f.Function, f.File, f.Line, inl)
		if !more {
			break
		}
	}
}
