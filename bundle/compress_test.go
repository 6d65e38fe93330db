package bundle

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"testing"

	"github.com/ulikunitz/xz"
)

// TestCheckXzDict accepts a default xz stream and refuses one whose first
// block declares a 2 GiB dictionary (xz format §3.1: the LZMA2 filter's
// property byte, the header's CRC32 fixed).
func TestCheckXzDict(t *testing.T) {
	var b bytes.Buffer
	w, err := xz.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(gotrace))
	w.Close()
	data := b.Bytes()
	if err := checkXzDict(data); err != nil {
		t.Fatalf("default xz stream refused: %v", err)
	}
	const hdr = 12
	size := (int(data[hdr]) + 1) * 4
	i := bytes.Index(data[hdr:hdr+size], []byte{0x21, 0x01})
	if i < 0 {
		t.Fatal("no LZMA2 filter flags in the block header")
	}
	data[hdr+i+2] = 38 // 2 << (38/2 + 11) = 2 GiB
	binary.LittleEndian.PutUint32(data[hdr+size-4:], crc32.ChecksumIEEE(data[hdr:hdr+size-4]))
	if err := checkXzDict(data); err == nil || !bytes.Contains([]byte(err.Error()), []byte("dictionary")) {
		t.Errorf("2 GiB dictionary: err = %v, want a refusal naming the dictionary", err)
	}
}
