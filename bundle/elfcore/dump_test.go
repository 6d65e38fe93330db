package elfcore

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestAgainstTools checks Parse against readelf (thread notes) and gdb
// (the mapped files it reads from NT_FILE) on a real core, and the text
// dump against both.
func TestAgainstTools(t *testing.T) {
	b := realCore(t)
	c, err := Parse(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var dump bytes.Buffer
	if err := c.WriteText(&dump); err != nil {
		t.Fatal(err)
	}
	corePath := writeTemp(t, b)
	if _, err := exec.LookPath("readelf"); err == nil {
		out, err := exec.Command("readelf", "-n", corePath).Output()
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(out), "NT_PRSTATUS"); n != len(c.Threads) || n != strings.Count(dump.String(), "\nthread ") {
			t.Errorf("readelf sees %d NT_PRSTATUS notes, Parse %d", n, len(c.Threads))
		}
	}
	if _, err := exec.LookPath("gdb"); err == nil {
		out, _ := exec.Command("gdb", "-batch", "-ex", "info proc mappings", coreExe, corePath).CombinedOutput()
		re := regexp.MustCompile(`(?m)^\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+\s+(0x[0-9a-f]+)\s+(\S+)`)
		rows := re.FindAllStringSubmatch(string(out), -1)
		if len(rows) == 0 {
			t.Skipf("gdb listed no mappings:\n%s", out)
		}
		if len(rows) != len(c.Mappings) {
			t.Errorf("gdb lists %d mapped files, Parse %d", len(rows), len(c.Mappings))
		}
		for i, r := range rows {
			if i >= len(c.Mappings) {
				break
			}
			m := c.Mappings[i]
			got := fmt.Sprintf("%#x %#x %#x %s", m.Start, m.End, m.Offset, m.Path)
			if want := strings.Join(r[1:], " "); got != want {
				t.Errorf("mapping %d: Parse %q, gdb %q", i, got, want)
			}
			if !strings.Contains(dump.String(), fmt.Sprintf("mapping %#x-%#x", m.Start, m.End)) {
				t.Errorf("text dump lacks mapping %d", i)
			}
		}
	}
}

func writeTemp(t *testing.T, b []byte) string {
	p := t.TempDir() + "/core"
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
