package perfdata

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden dumps in testdata")

// TestDumpGolden compares the text dump of each fixture with its golden
// file (testdata/NAME.dump; go test -update rewrites them).
func TestDumpGolden(t *testing.T) {
	for name := range readCounts(t) {
		r, err := Open("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := Dump(&b, r); err != nil {
			t.Fatal(err)
		}
		r.Close()
		golden := "testdata/" + strings.TrimSuffix(name, ".data") + ".dump"
		if *update {
			if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if !bytes.Equal(b.Bytes(), want) {
			t.Errorf("%s: dump differs from %s (run go test -update if intended)", name, golden)
		}
		if n := int64(bytes.Count(b.Bytes(), []byte(" SAMPLE "))); n != readCounts(t)[name] {
			t.Errorf("%s: dump shows %d samples, want %d", name, n, readCounts(t)[name])
		}
	}
}
