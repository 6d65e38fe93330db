// Package browsertest drives a headless Chromium over the DevTools
// protocol for tests: find (or install) Chromium, start it with a fresh
// profile, open pages, and check that a page logged no error, opened no
// dialog and requested nothing it should not; screenshots are left in
// $CORONER_TEST_ARTIFACTS.
package browsertest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Find returns Debian's chromium, installing it with apt-get when it is
// missing and the test runs as root; otherwise it skips the test.
func Find(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if testing.Short() {
		t.Skip("chromium is not installed (and -short forbids installing it)")
	}
	if os.Getuid() != 0 {
		t.Skip("chromium is not installed and installing it needs root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	install := exec.CommandContext(ctx, "sh", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium")
	if out, err := install.CombinedOutput(); err != nil {
		t.Skipf("chromium is not installed and apt-get could not install it: %v\n%s", err, lastLines(out, 5))
	}
	p, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not on PATH after installing it")
	}
	return p
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// ArtifactDir is where tests leave screenshots: $CORONER_TEST_ARTIFACTS
// when set, else a temporary directory.
func ArtifactDir(t testing.TB) string {
	if d := os.Getenv("CORONER_TEST_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// Browser is a headless chromium with a DevTools session on its page.
type Browser struct {
	cmd *exec.Cmd
	// CDP is the session on the browser's one page.
	CDP *Session
}

// Start starts bin headless with a fresh profile, stopped when the test
// ends.
func Start(t testing.TB, bin string) *Browser {
	t.Helper()
	profile := t.TempDir()
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
		"--user-data-dir="+profile, "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
		"--window-size=1280,1600", "about:blank")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start %s: %v", bin, err)
	}
	b := &Browser{cmd: cmd}
	t.Cleanup(func() {
		if b.CDP != nil {
			b.CDP.Call("Browser.close", map[string]any{}, nil)
			b.CDP.Close()
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	// Chromium writes the port it chose to DevToolsActivePort.
	var port int
	deadline := time.Now().Add(30 * time.Second)
	for port == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("chromium did not open its DevTools port:\n%s", lastLines(stderr.Bytes(), 10))
		}
		if b, err := os.ReadFile(filepath.Join(profile, "DevToolsActivePort")); err == nil {
			first, _, _ := strings.Cut(string(b), "\n")
			port, _ = strconv.Atoi(strings.TrimSpace(first))
		}
		time.Sleep(50 * time.Millisecond)
	}
	var targets []struct {
		Type string `json:"type"`
		WS   string `json:"webSocketDebuggerUrl"`
	}
	for time.Now().Before(deadline) {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/json/list", port))
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&targets)
			resp.Body.Close()
		}
		if err == nil && len(targets) > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, tg := range targets {
		if tg.Type == "page" {
			c, err := dial(tg.WS)
			if err != nil {
				t.Fatal(err)
			}
			b.CDP = c
			return b
		}
	}
	t.Fatalf("no page target in chromium: %+v", targets)
	return nil
}

// Open enables the domains CheckQuiet reads, forgets earlier events,
// loads pageURL in a 1280×1600 viewport and waits for its load event.
func (b *Browser) Open(t testing.TB, pageURL string) {
	t.Helper()
	c := b.CDP
	for _, m := range []string{"Page.enable", "Runtime.enable", "Log.enable", "Network.enable"} {
		if err := c.Call(m, map[string]any{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": 1600, "deviceScaleFactor": 1, "mobile": false}, nil); err != nil {
		t.Fatal(err)
	}
	c.ClearEvents()
	if err := c.Call("Page.navigate", map[string]any{"url": pageURL}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitEvent("Page.loadEventFired", 30*time.Second); err != nil {
		t.Fatal(err)
	}
}

// CheckQuiet fails on console errors, exceptions, browser log errors and
// warnings (a CSP violation logs one), dialogs, and any network request
// whose URL allowed rejects. It returns the URLs requested.
func (b *Browser) CheckQuiet(t testing.TB, allowed func(url string) bool) []string {
	t.Helper()
	c := b.CDP
	for _, e := range c.EventsNamed("Runtime.consoleAPICalled") {
		var p struct {
			Type string `json:"type"`
			Args []struct {
				Value any `json:"value"`
			} `json:"args"`
		}
		json.Unmarshal(e.Params, &p)
		if p.Type == "error" || p.Type == "assert" {
			t.Errorf("console %s: %v", p.Type, p.Args)
		}
	}
	for _, e := range c.EventsNamed("Runtime.exceptionThrown") {
		t.Errorf("exception: %s", e.Params)
	}
	for _, e := range c.EventsNamed("Log.entryAdded") {
		var p struct {
			Entry struct {
				Level, Source, Text string
			} `json:"entry"`
		}
		json.Unmarshal(e.Params, &p)
		if p.Entry.Level == "error" || p.Entry.Level == "warning" {
			t.Errorf("browser log %s (%s): %s", p.Entry.Level, p.Entry.Source, p.Entry.Text)
		}
	}
	for _, e := range c.EventsNamed("Page.javascriptDialogOpening") {
		t.Errorf("page opened a dialog: %s", e.Params)
	}
	var urls []string
	for _, e := range c.EventsNamed("Network.requestWillBeSent") {
		var p struct {
			Request struct{ URL string } `json:"request"`
		}
		json.Unmarshal(e.Params, &p)
		urls = append(urls, p.Request.URL)
		if !allowed(p.Request.URL) {
			t.Errorf("page made a request: %s", p.Request.URL)
		}
	}
	return urls
}

// Screenshot saves the whole page as a PNG named name in ArtifactDir and
// returns its path.
func (b *Browser) Screenshot(t testing.TB, name string) string {
	t.Helper()
	var shot struct {
		Data string `json:"data"`
	}
	if err := b.CDP.Call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &shot); err != nil {
		t.Fatal(err)
	}
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(ArtifactDir(t), name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
