package capture

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/bundle"
)

// plainService is a Go service that knows nothing of coroner: it serves
// net/http/pprof on a port the kernel picks, and a decoy API that is not
// pprof on another, and logs gctrace to whatever its stderr is. It prints
// the pprof address on stdout, which the test reads only to know that the
// service is up and to check what discovery found.
const plainService = `package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"time"
)

var sink []byte

func main() {
	withPprof := flag.Bool("pprof", true, "serve net/http/pprof")
	flag.Parse()
	api, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go http.Serve(api, http.NotFoundHandler())
	go func() {
		for {
			sink = make([]byte, 64<<10)
			time.Sleep(time.Millisecond)
		}
	}()
	if !*withPprof {
		fmt.Println("none", api.Addr())
		select {}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Fprintln(os.Stderr, "service: starting")
	fmt.Println(ln.Addr(), api.Addr())
	http.Serve(ln, nil)
}
`

// startPlainService builds and starts plainService with gctrace on and
// stderr appended to a file, and returns the process and its first
// stdout line.
func startPlainService(t *testing.T, args ...string) (*exec.Cmd, string) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go toolchain not on PATH:", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(plainService), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module plainservice\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "service")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the service: %v\n%s", err, out)
	}
	errFile, err := os.Create(filepath.Join(dir, "service.stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer errFile.Close()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "GODEBUG=gctrace=1")
	cmd.Stderr = errFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the service's address: %v", err)
	}
	return cmd, strings.TrimSpace(line)
}

func TestCollectPIDFindsPprofAndStderr(t *testing.T) {
	cmd, line := startPlainService(t)
	pprofAddr, apiAddr, _ := strings.Cut(line, " ")
	dir := t.TempDir()
	var logged []string
	res, err := Collect(context.Background(), Options{
		PID: cmd.Process.Pid, Duration: 2 * time.Second, Core: CoreNone, Perf: PerfOff, NoKallsyms: true,
		Output: filepath.Join(dir, "out.tar.zst"),
		Log: func(f string, a ...any) {
			t.Logf(f, a...)
			logged = append(logged, fmt.Sprintf(f, a...))
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	st := steps(res.Capture)
	want := "http://" + pprofAddr + "/debug/pprof/"
	if p := st["pprof"]; p.Status != StatusOK || p.Method != "discovered" || !strings.Contains(p.Reason, want) {
		t.Fatalf("pprof step %+v: want ok, discovered, naming %s", p, want)
	}
	if !strings.Contains(strings.Join(logged, "\n"), want) {
		t.Errorf("the log does not say which endpoint was used:\n%s", strings.Join(logged, "\n"))
	}
	if !strings.Contains(st["pprof"].Reason, "2 listening") {
		t.Errorf("pprof step %q: want both listening sockets (pprof and %s) counted", st["pprof"].Reason, apiAddr)
	}
	for _, n := range []string{"cpu-profile", "trace", "heap", "allocs", "goroutines", "gctrace", "stderr"} {
		if st[n].Status != StatusOK {
			t.Errorf("step %s: %+v", n, st[n])
		}
	}
	k := kinds(res.Manifest)
	if k[bundle.KindPprof] < 4 || k[bundle.KindTrace] != 1 || k[bundle.KindGCTrace] != 1 {
		t.Errorf("artifact kinds %v: want the profiles, a trace and the gctrace", k)
	}
}

func TestCollectPIDSaysNoPprofAnswered(t *testing.T) {
	cmd, line := startPlainService(t, "-pprof=false")
	apiAddr := strings.TrimPrefix(line, "none ")
	dir := t.TempDir()
	res, err := Collect(context.Background(), Options{
		PID: cmd.Process.Pid, Duration: time.Second, Core: CoreNone, Perf: PerfOff, NoKallsyms: true,
		Output: filepath.Join(dir, "out.tar.zst"), Log: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	st := steps(res.Capture)
	p := st["pprof"]
	if p.Status != StatusSkipped || !strings.Contains(p.Reason, "none of the process's 1 listening") ||
		!strings.Contains(p.Reason, apiAddr+": 404 Not Found") {
		t.Errorf("pprof step %+v: want skipped, naming %s and its answer", p, apiAddr)
	}
	if st["cpu-profile"].Status != StatusSkipped {
		t.Errorf("cpu-profile step %+v: want skipped without an endpoint", st["cpu-profile"])
	}
}

func TestReadListenersFindsOwnSockets(t *testing.T) {
	var want []netip.AddrPort
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0", "0.0.0.0:0"} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Logf("%s: %v (skipped)", addr, err)
			continue
		}
		defer ln.Close()
		want = append(want, ln.Addr().(*net.TCPAddr).AddrPort())
	}
	inodes, err := socketInodes(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	got := map[netip.AddrPort]bool{}
	for _, table := range []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			t.Logf("%s: %v", table, err)
			continue
		}
		ls, err := readListeners(f, inodes)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		for _, l := range ls {
			got[netip.AddrPortFrom(l.addr.Addr().Unmap(), l.addr.Port())] = true
		}
	}
	for _, w := range want {
		if !got[netip.AddrPortFrom(w.Addr().Unmap(), w.Port())] {
			t.Errorf("listener %s not found among %v", w, got)
		}
	}
}

func TestDialableWildcards(t *testing.T) {
	for in, want := range map[string]string{
		"0.0.0.0:80":   "127.0.0.1:80",
		"[::]:80":      "[::1]:80",
		"10.0.0.7:80":  "10.0.0.7:80",
		"[fe80::1]:80": "[fe80::1]:80",
	} {
		if got := dialable(netip.MustParseAddrPort(in)).String(); got != want {
			t.Errorf("dialable(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestCopyTailStartsAtALine(t *testing.T) {
	p := filepath.Join(t.TempDir(), "stderr")
	content := "first line that is cut\nsecond\nthird\n"
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	if err := copyTail(&b, f, int64(len(content)), int64(len("cut\nsecond\nthird\n"))); err != nil {
		t.Fatal(err)
	}
	if b.String() != "second\nthird\n" {
		t.Errorf("tail %q, want the whole lines after the cut", b.String())
	}
}

func FuzzParseProcNetLine(f *testing.F) {
	f.Add("   0: 0100007F:46A7 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1000301 2 000000000d0bab35 100 0 0 10 0")
	f.Add("   1: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 52 1 0000000000000000 100 0 0 10 0")
	f.Add("   2: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 9 1")
	f.Fuzz(func(t *testing.T, line string) {
		l, ok, err := parseProcNetLine(line)
		if err == nil && ok && !l.addr.IsValid() {
			t.Errorf("accepted %q with an invalid address", line)
		}
	})
}

func FuzzParseSocketLink(f *testing.F) {
	f.Add("socket:[1000301]")
	f.Add("pipe:[12]")
	f.Add("/dev/null")
	f.Fuzz(func(t *testing.T, link string) {
		ino, ok := parseSocketLink(link)
		if !ok {
			return
		}
		digits := strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")
		if digits == "" || strings.Trim(digits, "0123456789") != "" || !strings.HasSuffix(link, strconv.FormatUint(ino, 10)+"]") {
			t.Errorf("parseSocketLink(%q) = %d, accepted a malformed link", link, ino)
		}
	})
}

func FuzzReadListeners(f *testing.F) {
	f.Add([]byte("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		"   0: 0100007F:46A7 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1000301 2 000000000d0bab35 100 0 0 10 0\n" +
		"   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 7 1\n"))
	f.Fuzz(func(t *testing.T, table []byte) {
		want := map[uint64]bool{1000301: true, 7: true}
		ls, _ := readListeners(bytes.NewReader(table), want)
		for _, l := range ls {
			if !want[l.inode] || !l.addr.IsValid() {
				t.Errorf("listener %+v: not a wanted inode or not an address", l)
			}
		}
	})
}

func TestSameNetNSAsItself(t *testing.T) {
	if !sameNetNS(os.Getpid()) {
		t.Error("a process is not in its own network namespace")
	}
}
