package gocore

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
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
// It runs twice, once reading the core through ReadAt and once from frames
// lent as an archive's member reader lends them (lendingReader), small
// enough that reads straddle them: both give the same census or the same
// error, and every frame lent is returned.
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
		plain := censusOutcome(fastCensusAt(bytes.NewReader(b), int64(len(b)), fuzzExePath, gover, true, nil))
		lr := &lendingReader{Reader: bytes.NewReader(b), b: b, frame: 64 << 10}
		lent := censusOutcome(fastCensusAt(lr, int64(len(b)), fuzzExePath, gover, true, nil))
		if plain != lent {
			t.Fatalf("census through ReadAt and from lent frames differ:\n%.300s\n%.300s", plain, lent)
		}
		if lr.out != 0 {
			t.Fatalf("%d lent frames not returned", lr.out)
		}
	})
}

// censusOutcome is a census's wire encoding, or its error's text.
func censusOutcome(r *fastResult, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	var buf bytes.Buffer
	if err := writeWire(&buf, r.census); err != nil {
		return "wire: " + err.Error()
	}
	return fmt.Sprintf("%x", buf.Bytes())
}

// lendingReader lends b in frames of frame bytes, as
// bundle.MemberReaderAt.View lends an archive's decoded frames, and
// counts the frames out.
type lendingReader struct {
	*bytes.Reader
	b     []byte
	frame int64
	out   int
}

func (r *lendingReader) View(off int64) ([]byte, int64, func(), error) {
	if off < 0 || off >= int64(len(r.b)) {
		return nil, 0, nil, io.EOF
	}
	at := off - off%r.frame
	r.out++
	released := false
	return r.b[at:min(at+r.frame, int64(len(r.b)))], at, func() {
		if !released {
			released = true
			r.out--
		}
	}, nil
}
