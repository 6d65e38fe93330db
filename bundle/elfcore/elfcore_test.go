package elfcore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/coroner/coroner/internal/testcore"
)

// crashSrc panics in a worker goroutine: a nil map assignment.
const crashSrc = `package main

import "time"

func main() {
	for i := 0; i < 4; i++ {
		go func() { time.Sleep(time.Hour) }()
	}
	var m map[string]int
	go func() { m["x"] = 1 }()
	time.Sleep(time.Hour)
}
`

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "elfcore-test")
	if err != nil {
		panic(err)
	}
	tmpDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	tmpDir   string
	coreOnce sync.Once
	coreData []byte
	coreExe  string
	coreErr  string
)

// realCore returns the bytes of a core made at test time from crashSrc.
func realCore(t testing.TB) []byte {
	t.Helper()
	coreOnce.Do(func() {
		exe := testcore.BuildIn(t, tmpDir, crashSrc)
		path, _ := testcore.CrashIn(t, tmpDir, exe)
		b, err := os.ReadFile(path)
		if err != nil {
			coreErr = err.Error()
			return
		}
		coreData, coreExe = b, exe
	})
	if coreData == nil {
		t.Skip("no core available: " + coreErr)
	}
	return coreData
}

func TestDescribeRealCore(t *testing.T) {
	b := realCore(t)
	a, err := Describe(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if a["exe"] != "scenario" {
		t.Errorf("exe = %q, want scenario", a["exe"])
	}
	if a["signal"] != "SIGABRT" {
		t.Errorf("signal = %q, want SIGABRT (GOTRACEBACK=crash raises it)", a["signal"])
	}
	if a["truncated"] != "false" {
		t.Errorf("truncated = %q", a["truncated"])
	}
	if a["threads"] == "" || a["threads"] == "0" {
		t.Errorf("threads = %q", a["threads"])
	}
	if !strings.HasSuffix(a["exe_path"], "/scenario") {
		t.Errorf("exe_path = %q", a["exe_path"])
	}
	// The build ID must be the one the executable itself carries.
	want := exeBuildID(t, coreExe)
	if a["build_id"] != want {
		t.Errorf("build_id = %q, executable has %q", a["build_id"], want)
	}
	if a["go_build_id"] == "" {
		t.Error("no go_build_id found in the dumped first page")
	}
	if _, err := Validate(bytes.NewReader(b), int64(len(b))); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

// exeBuildID reads the GNU build ID from an executable's first page.
func exeBuildID(t *testing.T, exe string) string {
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	gnu, _ := elfBuildIDs(b[:min(len(b), maxHeaderPage)])
	if gnu == "" {
		t.Fatal("executable has no GNU build ID note in its first page")
	}
	return gnu
}

func TestTruncatedAtSeveralPoints(t *testing.T) {
	b := realCore(t)
	for _, n := range []int{len(b) - 1, len(b) / 2, len(b) / 10, 8192} {
		c, err := Validate(bytes.NewReader(b[:n]), int64(n))
		var te *TruncatedError
		if !errors.As(err, &te) && !strings.Contains(errString(err), "note") {
			t.Errorf("cut at %d: err = %v, want a truncation error", n, err)
			continue
		}
		if te != nil {
			if te.Have != int64(n) || te.Want != int64(len(b)) {
				t.Errorf("cut at %d: %v, want %d of %d", n, err, n, len(b))
			}
			if !strings.Contains(te.Error(), "core truncated") {
				t.Errorf("message %q", te.Error())
			}
		}
		if c == nil && n > 4096 {
			t.Errorf("cut at %d: no partial core returned", n)
		}
	}
	// Cut inside the program headers.
	if _, err := Validate(bytes.NewReader(b[:100]), 100); !IsTruncated(err) {
		t.Errorf("cut at 100: %v", err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestNotACore(t *testing.T) {
	b := realCore(t)
	exe, err := os.ReadFile(coreExe)
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string][]byte{
		"executable": exe,
		"text":       []byte("goroutine 1 [running]:\n"),
		"empty":      nil,
		"32-bit":     append(append([]byte{}, b[:4]...), 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
	} {
		_, err := Describe(bytes.NewReader(in), int64(len(in)))
		if err == nil {
			t.Errorf("%s: accepted as a core", name)
		} else if !errors.Is(err, ErrNotCore) {
			t.Errorf("%s: %v, want ErrNotCore", name, err)
		}
	}
}

// TestMutatedNotes sets a note's descriptor size to 0xFFFFFFF0 and removes
// the PT_NOTE segment: both must fail cleanly without large allocations.
func TestMutatedNotes(t *testing.T) {
	b := realCore(t)
	h, err := readHeader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	segs, _ := readSegments(bytes.NewReader(b), int64(len(b)), h)
	var note Segment
	noteIdx := -1
	for i, s := range segs {
		if s.Type == ptNote {
			note, noteIdx = s, i
			break
		}
	}
	m := append([]byte{}, b...)
	binary.LittleEndian.PutUint32(m[note.Offset+4:], 0xFFFFFFF0)
	_, err = Validate(bytes.NewReader(m), int64(len(m)))
	if err == nil || !strings.Contains(err.Error(), "0xfffffff0") {
		t.Errorf("huge descsz: %v", err)
	}
	m = append([]byte{}, b...)
	binary.LittleEndian.PutUint32(m[h.phoff+uint64(noteIdx)*phdrSize64:], ptLoad)
	_, err = Validate(bytes.NewReader(m), int64(len(m)))
	if err == nil || !strings.Contains(err.Error(), "no PT_NOTE") {
		t.Errorf("no PT_NOTE: %v", err)
	}
	m = append([]byte{}, b...)
	binary.LittleEndian.PutUint16(m[56:], 0xffff)
	if _, err = Validate(bytes.NewReader(m), int64(len(m))); err == nil {
		t.Error("e_phnum 0xffff accepted")
	}
}

func FuzzParse(f *testing.F) {
	// testdata/fuzz/FuzzParse holds the head of a real core (headers and
	// notes); TestUpdateFuzzSeed regenerates it.
	f.Add([]byte("\x7fELF\x02\x01\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Validate(bytes.NewReader(b), int64(len(b)))
		_, _ = Describe(bytes.NewReader(b), int64(len(b)))
	})
}

var update = flag.Bool("update", false, "rewrite testdata/fuzz seeds from a core made now")

// TestUpdateFuzzSeed writes the fuzz seed: the first 24 KiB of a real core,
// which hold the ELF header, program headers and every note.
func TestUpdateFuzzSeed(t *testing.T) {
	if !*update {
		t.Skip("run with -update to regenerate the fuzz seed")
	}
	b := realCore(t)
	head := append([]byte(nil), b[:min(len(b), 24<<10)]...)
	// Replace the temporary directory in the mapped-file paths with a fixed
	// name of the same length, so the seed does not depend on where it was
	// made and the note sizes stay valid.
	fixed := "/src" + strings.Repeat("_", len(tmpDir)-len("/src"))
	head = bytes.ReplaceAll(head, []byte(tmpDir), []byte(fixed))
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", head)
	if err := os.WriteFile(filepath.Join(dir, "real-core-head"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}
