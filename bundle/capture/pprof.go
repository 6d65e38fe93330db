package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/coroner/coroner/bundle/pprofdata"
)

// readyPoll is the interval between pprof readiness probes of an --exec
// target; a tenth of a second makes the wait invisible next to the window.
const readyPoll = 100 * time.Millisecond

// probeTimeout bounds one readiness probe; a service saturated by its own
// pathology can take seconds to answer, and that is what we capture.
const probeTimeout = 5 * time.Second

// errSnippet bounds how much of an unexpected HTTP body an error quotes.
const errSnippet = 120

// pprofBase normalizes a pprof URL to the ".../debug/pprof/" base that
// named profiles are appended to.
func pprofBase(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("want an http:// or https:// URL")
	}
	if u.Host == "" {
		return "", fmt.Errorf("no host")
	}
	p := strings.TrimRight(u.Path, "/")
	if !strings.HasSuffix(p, "/debug/pprof") {
		p += "/debug/pprof"
	}
	u.Path, u.RawQuery, u.Fragment = p+"/", "", ""
	return u.String(), nil
}

// probe checks that base serves Go's net/http/pprof by asking for the
// goroutine profile in its text form, whose first line is fixed.
func probe(ctx context.Context, base string) error {
	u := base + "goroutine?debug=1"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("pprof URL %s unreachable: %w", base, err)
	}
	defer resp.Body.Close()
	head := make([]byte, 64)
	n, _ := io.ReadFull(resp.Body, head)
	head = head[:n]
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s does not serve Go net/http/pprof: GET %s: %s", base, u, resp.Status)
	}
	if !bytes.HasPrefix(head, []byte("goroutine profile: total ")) {
		return fmt.Errorf("%s does not serve Go net/http/pprof: GET %s answered %q, not a goroutine profile", base, u, snippet(head))
	}
	return nil
}

// waitReady probes base until it answers, the timeout passes, or the
// target exits.
func waitReady(ctx context.Context, base string, timeout time.Duration, t *target) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		pctx, cancel := context.WithTimeout(ctx, probeTimeout)
		last = probe(pctx, base)
		cancel()
		if last == nil {
			return nil
		}
		if t.gone() {
			return fmt.Errorf("target %s before its pprof URL answered: %w", t.exit(), last)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer within %v: %w", timeout, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(readyPoll):
		}
	}
}

// seconds renders a window for pprof's ?seconds= parameter, rounding up.
func seconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// fetch streams GET base+path into dst and checks the body with check.
func fetch(ctx context.Context, base, path, dst string, check func(string) error) ([]string, error) {
	u := base + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, errSnippet))
		return nil, fmt.Errorf("GET %s: %s: %s", u, resp.Status, snippet(b))
	}
	f, err := os.Create(dst)
	if err != nil {
		return nil, err
	}
	n, err := io.Copy(f, resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if n > 0 {
			// A trace cut short by the target's death is still evidence:
			// keep what arrived, and say that it is truncated.
			return []string{baseName(dst)}, fmt.Errorf("GET %s: %w (kept the %d bytes received, truncated)", u, err, n)
		}
		os.Remove(dst)
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if err := check(dst); err != nil {
		os.Remove(dst)
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	return []string{baseName(dst)}, nil
}

// checkProfile accepts a file that parses as a pprof profile.
func checkProfile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := pprofdata.Parse(f); err != nil {
		return fmt.Errorf("response is not a pprof profile: %w", err)
	}
	return nil
}

// checkPrefix returns a check that the file starts with one of prefixes.
func checkPrefix(what string, prefixes ...string) func(string) error {
	return func(path string) error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		head := make([]byte, 32)
		n, _ := io.ReadFull(f, head)
		for _, p := range prefixes {
			if bytes.HasPrefix(head[:n], []byte(p)) {
				return nil
			}
		}
		if n == 0 {
			return errors.New("empty response; the process may have exited")
		}
		return fmt.Errorf("response is not %s (starts with %q)", what, snippet(head[:n]))
	}
}

// snippet quotes at most errSnippet bytes of b on one line.
func snippet(b []byte) string {
	if len(b) > errSnippet {
		b = b[:errSnippet]
	}
	return strings.TrimSpace(strings.ToValidUTF8(string(b), "?"))
}
