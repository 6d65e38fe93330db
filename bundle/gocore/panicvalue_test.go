package gocore

import (
	"debug/elf"
	"strings"
	"testing"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/elfcore"
	"github.com/coroner/coroner/internal/testcore"
)

// panicValuesSrc keeps, in main.vals, values of the kinds a panic carries
// (runtime errors recovered from real faults among them), and prints, one
// per line after "ready", what the runtime prints for each when it is a
// panic's value: an error's Error() text, a Stringer's String(), else
// printpanicval's rendering.
const panicValuesSrc = `package main

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

type name string
type count int
type point struct{ x, y int }

var (
	vals   []any
	idx    = 7
	neg    = -3
	lo, hi = 5, 2
	nilP   *point
	nilC   chan int
)

func recovered(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}

func main() {
	s := []int{1, 2, 3}
	vals = []any{
		"a plain string",
		errors.New("errors.New text"),
		fmt.Errorf("wrapped: %w", errors.New("cause")),
		recovered(func() { _ = s[idx] }),
		recovered(func() { _ = s[neg] }),
		recovered(func() { _ = s[:idx] }),
		recovered(func() { _ = s[lo:hi] }),
		recovered(func() { _ = nilP.y }),
		recovered(func() { close(nilC) }),
		name("gopher"),
		count(-42),
		42,
		true,
		&point{1, 2},
	}
	fmt.Println("ready")
	for _, v := range vals {
		switch v := v.(type) {
		case error:
			fmt.Println(v.Error())
		case string:
			fmt.Println(v)
		case name:
			fmt.Printf("main.name(%q)\n", string(v))
		case count:
			fmt.Println("main.count(" + strconv.Itoa(int(v)) + ")")
		case int:
			fmt.Println(v)
		case bool:
			fmt.Println(v)
		default:
			fmt.Printf("(%T) %p\n", v, v)
		}
	}
	time.Sleep(time.Hour)
}
`

// TestPanicValues: each value a snapshot holds reads as the runtime
// prints it as a panic's value.
func TestPanicValues(t *testing.T) {
	exe := testcore.BuildIn(t, tmpDir, panicValuesSrc)
	p := testcore.Start(t, exe, "ready")
	var want []string
	for range 14 {
		line, err := p.Stdout.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, strings.TrimSuffix(line, "\n"))
	}
	core := p.Gcore(t)
	p.Quit(t)
	f, size, err := bundle.OpenSized(core)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, err := elfcore.Parse(f, size)
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	d, err := ef.DWARF()
	if err != nil {
		t.Fatal(err)
	}
	l, err := loadLayout(ef, d)
	if err != nil {
		t.Fatal(err)
	}
	o, err := l.gOffsets()
	if err != nil {
		t.Fatal(err)
	}
	fr := &fastReader{mem: newCoreMem(f, info), o: o}
	fr.mem.addExecutable(ef)
	to, ok := l.typeOffsets()
	if !ok || !to.bounds {
		t.Fatalf("type offsets %+v, ok %v", to, ok)
	}
	syms, _ := ef.Symbols()
	var vals uint64
	for _, s := range syms {
		if s.Name == "main.vals" {
			vals = s.Value
		}
	}
	arr, n, err := fr.mem.slice(vals)
	if err != nil || n != uint64(len(want)) {
		t.Fatalf("main.vals: %d values, %v", n, err)
	}
	for i := range want {
		typ, err1 := fr.mem.u64(arr + 16*uint64(i))
		data, err2 := fr.mem.u64(arr + 16*uint64(i) + 8)
		if err1 != nil || err2 != nil {
			t.Fatalf("vals[%d]: %v %v", i, err1, err2)
		}
		got, err := fr.panicValue(&to, typ, data)
		if err != nil || got != want[i] {
			t.Errorf("vals[%d] = %q, %v; the runtime prints %q", i, got, err, want[i])
		}
	}
}

// FuzzDecodeName: any bytes decode to a bounded name or none, never a
// panic.
func FuzzDecodeName(f *testing.F) {
	f.Add([]byte{0, 5, 'h', 'e', 'l', 'l', 'o'})
	f.Add([]byte{0, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		name, ok := decodeName(b)
		if ok && len(name) > maxTypeName {
			t.Fatalf("name of %d bytes", len(name))
		}
		if !ok && name != "" {
			t.Fatalf("failed decode returned %q", name)
		}
	})
}
