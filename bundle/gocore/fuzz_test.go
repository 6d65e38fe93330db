package gocore

import (
	"bytes"
	"encoding/binary"
	"os"
	"sync"
	"testing"

	"github.com/go-delve/delve/pkg/goversion"

	"github.com/coroner/coroner/internal/testcore"
)

var (
	fuzzOnce    sync.Once
	fuzzCore    []byte
	fuzzExePath string
)

// FuzzFastCensus damages a real core — each 12-byte chunk of the input
// overwrites 8 bytes at an offset into the core's memory segments — and
// runs the frame-pointer census on it: it may fail, never panic or hang.
func FuzzFastCensus(f *testing.F) {
	fuzzOnce.Do(func() {
		fuzzExePath = testcore.BuildIn(f, tmpDir, workerCrashSrc)
		core, _ := testcore.CrashIn(f, tmpDir, fuzzExePath)
		fuzzCore, _ = os.ReadFile(core)
	})
	if fuzzCore == nil {
		f.Skip("no core")
	}
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 12))
	f.Add([]byte{0x00, 0x10, 0x00, 0x00, 1, 2, 3, 4, 5, 6, 7, 8})
	gover, _ := goversion.Parse("go1.26")
	f.Fuzz(func(t *testing.T, patch []byte) {
		b := append([]byte(nil), fuzzCore...)
		for len(patch) >= 12 {
			off := int(binary.LittleEndian.Uint32(patch)) % len(b)
			copy(b[off:], patch[4:12])
			patch = patch[12:]
		}
		r, err := fastCensusAt(bytes.NewReader(b), int64(len(b)), fuzzExePath, gover, true)
		if err == nil {
			toWire(r.census)
		}
	})
}
