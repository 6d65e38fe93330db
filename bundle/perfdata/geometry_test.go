package perfdata

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// textMapping reads the executable mapping of path from a live process's
// /proc/PID/maps, the kernel's own geometry of the program's text; nil
// when there is none yet.
func textMapping(t *testing.T, pid int, path string) *mapping {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		t.Skipf("no /proc maps: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// start-end perms offset dev inode path
		fs := strings.Fields(sc.Text())
		if len(fs) < 6 || fs[5] != path || !strings.Contains(fs[1], "x") {
			continue
		}
		lo, hi, _ := strings.Cut(fs[0], "-")
		start, _ := strconv.ParseUint(lo, 16, 64)
		end, _ := strconv.ParseUint(hi, 16, 64)
		off, _ := strconv.ParseUint(fs[2], 16, 64)
		return &mapping{start: start, end: end, pgoff: off}
	}
	return nil // not exec'd yet
}

// TestSamePathTwoBuilds: two programs that perf recorded under one path
// (two containers) with two build IDs are told apart by their text
// mapping, and each is symbolized with its own binary.
func TestSamePathTwoBuilds(t *testing.T) {
	busy, busyID := buildWithID(t, "busy")
	nb, nbID := buildWithID(t, "neighbour")
	maps := map[string]*mapping{}
	for _, b := range []struct{ path, id string }{{busy, busyID}, {nb, nbID}} {
		pid := startProgram(t, b.path, "5s")
		var m *mapping
		for i := 0; i < 50 && m == nil; i++ { // until exec has mapped it
			time.Sleep(10 * time.Millisecond)
			m = textMapping(t, pid, b.path)
		}
		if m == nil {
			t.Fatalf("no executable mapping of %s in process %d", b.path, pid)
		}
		m.file = "/app/server" // the path inside each container
		maps[b.id] = m
	}
	feats := &Features{BuildIDs: []BuildID{{Path: "/app/server", ID: busyID}, {Path: "/app/server", ID: nbID}}}
	r := newResolver(map[string]string{busyID: busy, nbID: nb}, feats)
	defer r.close()
	for id, m := range maps {
		b := r.binaryFor(m)
		if b == nil || b.BuildID != id {
			t.Errorf("mapping 0x%x+0x%x: binary %v, want build ID %s (warnings %q)", m.pgoff, m.end-m.start, b, id, r.warnings)
		}
	}
	// With only one of the two builds given, the other's mapping fits
	// nothing and stays unsymbolized.
	r2 := newResolver(map[string]string{busyID: busy}, feats)
	defer r2.close()
	if b := r2.binaryFor(maps[nbID]); b != nil {
		t.Errorf("the neighbour's mapping symbolized with %s", b.Path)
	}
	if !strings.Contains(strings.Join(r2.warnings, "\n"), "2 build IDs") {
		t.Errorf("warnings %q, want one about the path's 2 build IDs", r2.warnings)
	}
}
