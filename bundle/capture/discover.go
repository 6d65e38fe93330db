package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"
)

// discoverProbeTimeout bounds one GET /debug/pprof/ against a listening
// socket of the target. The index page is static HTML rendered without
// touching any profile, so a second is generous even for a saturated
// service; a socket that does not speak HTTP costs at most this long.
const discoverProbeTimeout = time.Second

// maxDiscoverProbes bounds how many listening sockets are probed, so a
// process listening on hundreds of ports cannot stretch the capture by
// hundreds of probe timeouts; services expose a handful of ports.
const maxDiscoverProbes = 32

// maxIndexPage bounds how much of a /debug/pprof/ answer is read; Go's
// index page is about 4 KiB.
const maxIndexPage = 64 << 10

// discovered is the outcome of looking for the target's pprof endpoint.
type discovered struct {
	url   string   // the base URL that answered, if any
	tried []string // "ADDR: why not" for each socket that did not
	count int      // listening sockets found
}

// summary says what discovery found, for the log and the manifest.
func (d discovered) summary() string {
	switch {
	case d.url != "":
		return fmt.Sprintf("no --pprof URL given; found %s among the process's %d listening TCP socket(s)", d.url, d.count)
	case d.count == 0:
		return "no --pprof URL given, and the process has no listening TCP socket"
	default:
		return fmt.Sprintf("no --pprof URL given, and none of the process's %d listening TCP socket(s) answered GET /debug/pprof/ (%s)",
			d.count, strings.Join(d.tried, "; "))
	}
}

// discoverPprof looks for pid's net/http/pprof endpoint among its own
// listening TCP sockets: the LISTEN rows of /proc/PID/net/tcp{,6} whose
// inode is one of the process's socket descriptors, each probed with GET
// /debug/pprof/. Sockets are tried by port, lowest first, so the choice
// does not depend on the kernel's hash order.
func discoverPprof(ctx context.Context, pid int) (discovered, error) {
	if !sameNetNS(pid) {
		// 127.0.0.1:PORT from here would be another namespace's port,
		// perhaps another Go service's pprof: the wrong process.
		return discovered{}, errors.New("coroner runs in another network namespace than the process, so its listening sockets are not reachable from here; run coroner in the process's (nsenter -n -t PID, docker run --network container:NAME, kubectl debug --target) or pass --pprof")
	}
	inodes, err := socketInodes(pid)
	if errors.Is(err, fs.ErrPermission) {
		return discovered{}, fmt.Errorf("reading the process's descriptors: %w (coroner must run as the process's user, or with CAP_SYS_PTRACE)", err)
	}
	if err != nil {
		return discovered{}, fmt.Errorf("reading the process's descriptors: %w", err)
	}
	var ls []listener
	for _, table := range []string{"tcp", "tcp6"} {
		p := fmt.Sprintf("/proc/%d/net/%s", pid, table)
		f, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			continue // no IPv6 in this kernel
		}
		if err != nil {
			return discovered{}, err
		}
		got, err := readListeners(f, inodes)
		f.Close()
		if err != nil {
			return discovered{}, fmt.Errorf("%s: %w", p, err)
		}
		ls = append(ls, got...)
	}
	sort.Slice(ls, func(i, j int) bool {
		if ls[i].addr.Port() != ls[j].addr.Port() {
			return ls[i].addr.Port() < ls[j].addr.Port()
		}
		return ls[i].addr.Addr().Less(ls[j].addr.Addr())
	})
	d := discovered{count: len(ls)}
	seen := map[netip.AddrPort]bool{}
	for _, l := range ls {
		ap := dialable(l.addr)
		if seen[ap] {
			continue // one socket per family on the same wildcard port
		}
		seen[ap] = true
		if len(seen) > maxDiscoverProbes {
			d.tried = append(d.tried, fmt.Sprintf("%d more not probed", len(ls)-maxDiscoverProbes))
			break
		}
		base := "http://" + ap.String() + "/debug/pprof/"
		if err := probeIndex(ctx, base); err != nil {
			d.tried = append(d.tried, fmt.Sprintf("%s: %v", ap, err))
			continue
		}
		d.url = base
		return d, nil
	}
	return d, nil
}

// dialable turns a wildcard listener into the loopback address of its
// family: 0.0.0.0 → 127.0.0.1, :: → ::1.
func dialable(ap netip.AddrPort) netip.AddrPort {
	switch a := ap.Addr(); {
	case a.IsUnspecified() && a.Is4():
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), ap.Port())
	case a.IsUnspecified():
		return netip.AddrPortFrom(netip.IPv6Loopback(), ap.Port())
	}
	return ap
}

// probeIndex checks that base answers 200 with net/http/pprof's index page,
// which links every profile it serves.
func probeIndex(ctx context.Context, base string) error {
	ctx, cancel := context.WithTimeout(ctx, discoverProbeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is named by the caller
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxIndexPage))
	if !isPprofIndex(body) {
		return fmt.Errorf("200 OK but not the pprof index (starts with %q)", snippet(body))
	}
	return nil
}

// isPprofIndex recognizes net/http/pprof's index page by its links to the
// goroutine and heap profiles' text forms.
func isPprofIndex(body []byte) bool {
	return bytes.Contains(body, []byte("goroutine?debug=1")) && bytes.Contains(body, []byte("heap?debug=1"))
}

// sameNetNS reports whether coroner shares pid's network namespace, in
// which case the process's loopback listeners are reachable from here. An
// unreadable namespace link counts as the same: nothing is known.
func sameNetNS(pid int) bool {
	self, err1 := os.Readlink("/proc/self/ns/net")
	other, err2 := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid))
	return err1 != nil || err2 != nil || self == other
}
