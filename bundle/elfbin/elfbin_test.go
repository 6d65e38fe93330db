package elfbin

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"testing"
)

// The test binary itself is a real Go executable built by the toolchain
// in use.
func TestDescribeGoExecutable(t *testing.T) {
	f, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	a, err := Describe(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if !IsGo(a) || a["go_version"] != runtime.Version() {
		t.Errorf("go_version %q, want %q", a["go_version"], runtime.Version())
	}
	if a["goarch"] != runtime.GOARCH || a["goos"] != runtime.GOOS {
		t.Errorf("goos/goarch %q/%q", a["goos"], a["goarch"])
	}
	if a["go_build_id"] == "" || a["elf_type"] != "exec" || a["symtab"] == "" || a["dwarf"] == "" {
		t.Errorf("attrs %v", a)
	}
}

func TestDescribeNotELF(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("\x7fELF"), []byte("hello world, not an ELF file at all")} {
		if _, err := Describe(bytes.NewReader(in), int64(len(in))); !errors.Is(err, ErrNotELF) {
			t.Errorf("Describe(%q) = %v, want ErrNotELF", in, err)
		}
	}
}

// FuzzDescribe demands that describing never panics or hangs; seeded with
// the head and the whole of a real Go executable.
func FuzzDescribe(f *testing.F) {
	b, err := os.ReadFile(os.Args[0])
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b[:4096])
	f.Add(b[:64<<10])
	f.Fuzz(func(t *testing.T, data []byte) {
		Describe(bytes.NewReader(data), int64(len(data)))
	})
}
