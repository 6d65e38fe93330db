package capture

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// tcpListen is the kernel's TCP_LISTEN state as /proc/net/tcp spells it
// (include/net/tcp_states.h: TCP_LISTEN = 10).
const tcpListen = "0A"

// maxProcNetLine bounds one line of /proc/net/tcp{,6}; the kernel pads
// each line to 150 (tcp) or 178 (tcp6) characters, so a longer line is
// not the kernel's format.
const maxProcNetLine = 4 << 10

// listener is a listening TCP socket.
type listener struct {
	addr  netip.AddrPort
	inode uint64
}

// readListeners returns the listening sockets in a /proc/net/tcp or
// /proc/net/tcp6 table whose inode is in want. It streams the table: a
// host with 10⁵ connections costs one line of memory, not the table.
func readListeners(r io.Reader, want map[uint64]bool) ([]listener, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), maxProcNetLine)
	var out []listener
	for n := 1; sc.Scan(); n++ {
		if n == 1 {
			continue // the column header
		}
		l, ok, err := parseProcNetLine(sc.Text())
		if err != nil {
			return out, fmt.Errorf("line %d: %w", n, err)
		}
		if ok && want[l.inode] {
			out = append(out, l)
		}
	}
	if err := sc.Err(); err != nil {
		return out, err
	}
	return out, nil
}

// parseProcNetLine parses one socket line of /proc/net/tcp{,6}:
//
//	sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
//	0: 0100007F:46A7 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1000301 …
//
// It returns ok=false for a socket that is not listening.
func parseProcNetLine(line string) (listener, bool, error) {
	f := strings.Fields(line)
	if len(f) < 10 {
		return listener{}, false, fmt.Errorf("%d fields, want at least 10: %q", len(f), snippet([]byte(line)))
	}
	if f[3] != tcpListen {
		return listener{}, false, nil
	}
	ap, err := parseHexAddrPort(f[1])
	if err != nil {
		return listener{}, false, fmt.Errorf("local address %q: %w", snippet([]byte(f[1])), err)
	}
	inode, err := strconv.ParseUint(f[9], 10, 64)
	if err != nil {
		return listener{}, false, fmt.Errorf("inode %q: %w", snippet([]byte(f[9])), err)
	}
	return listener{addr: ap, inode: inode}, true, nil
}

// parseHexAddrPort decodes the kernel's "ADDR:PORT" hex form. The address
// is printed as 32-bit words in host byte order (one for IPv4, four for
// IPv6), the port as a plain big-endian number.
func parseHexAddrPort(s string) (netip.AddrPort, error) {
	a, p, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, errors.New("no ':' before the port")
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("port: %w", err)
	}
	raw, err := hex.DecodeString(a)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if len(raw) != 4 && len(raw) != 16 {
		return netip.AddrPort{}, fmt.Errorf("%d address bytes, want 4 or 16", len(raw))
	}
	// Each word was printed with %08X from a host-order u32: turn it back
	// into the network-order bytes it was.
	for i := 0; i < len(raw); i += 4 {
		binary.BigEndian.PutUint32(raw[i:], binary.NativeEndian.Uint32(raw[i:]))
	}
	addr, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(addr.Unmap(), uint16(port)), nil
}

// maxSocketFDs bounds how many of the target's descriptors are examined;
// it is the default hard RLIMIT_NOFILE of systemd (524288), above which a
// process cannot open more without raising its own limit.
const maxSocketFDs = 1 << 19

// socketInodes returns the inodes of the sockets among pid's descriptors.
func socketInodes(pid int) (map[uint64]bool, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	out := map[uint64]bool{}
	for seen := 0; seen < maxSocketFDs; {
		names, err := d.Readdirnames(1024)
		for _, n := range names {
			link, lerr := os.Readlink(dir + "/" + n)
			if lerr != nil {
				continue // closed since the listing
			}
			if ino, ok := parseSocketLink(link); ok {
				out[ino] = true
			}
		}
		seen += len(names)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out, fmt.Errorf("listing %s: %w", dir, err)
		}
	}
	return out, nil
}

// parseSocketLink reads the inode from a descriptor link "socket:[12345]".
func parseSocketLink(link string) (uint64, bool) {
	s, ok := strings.CutPrefix(link, "socket:[")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, "]")
	if !ok {
		return 0, false
	}
	ino, err := strconv.ParseUint(s, 10, 64)
	return ino, err == nil
}
