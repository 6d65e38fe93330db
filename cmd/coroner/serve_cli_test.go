package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coroner/coroner/internal/index"
)

// TestSignatureSpellingsAndServe batches the frozen corpus crash captured
// twice (by coroner collect and with the plain tools), then checks that
// coroner crash prints the signature as the index stores it, that search
// finds both captures by every spelling coroner has printed and says how
// it read each, and that coroner serve lists them under one signature.
func TestSignatureSpellingsAndServe(t *testing.T) {
	exe := buildCoroner(t)
	crashArchive := filepath.Join("..", "..", "corpus", "testdata", "crash.tar.zst")
	archives := []string{crashArchive, filepath.Join("..", "..", "corpus", "testdata", "foreign", "crash.tar.zst")}
	out := filepath.Join(t.TempDir(), "out")
	if stdout, stderr, code := runCoroner(t, exe, append([]string{"batch", "--jobs", "2", "--out", out}, archives...)...); code != 0 {
		t.Fatalf("batch exit %d\n%s\n%s", code, stdout, stderr)
	}
	stdout, stderr, code := runCoroner(t, exe, "crash", "--json", crashArchive)
	var cr struct {
		Crash struct {
			Signature     string `json:"signature"`
			SignatureText string `json:"signature_text"`
		} `json:"crash"`
	}
	if err := json.Unmarshal([]byte(stdout), &cr); code != 0 || err != nil || !strings.HasPrefix(cr.Crash.Signature, "crash:v1:") {
		t.Fatalf("crash --json: exit %d, %v\n%s\n%s", code, err, stdout, stderr)
	}
	sig := cr.Crash.Signature
	if table, _, _ := runCoroner(t, exe, "crash", crashArchive); !strings.Contains(table, sig) {
		t.Errorf("coroner crash's table lacks %s:\n%s", sig, table)
	}
	db := filepath.Join(out, index.FileName)
	for spelling, form := range map[string]index.SignatureForm{
		sig:                                         index.FormCanonical,
		strings.TrimPrefix(sig, "crash:"):           index.FormCrashKey,
		strings.TrimPrefix(sig, "crash:v1:"):        index.FormCrashHash,
		cr.Crash.SignatureText:                      index.FormCrashText,
		"crash/" + sig[len("crash:v1:"):]:           index.FormCrashHash,
		strings.TrimPrefix(sig, "crash:")[:8] + "*": index.FormPrefix,
	} {
		stdout, stderr, code := runCoroner(t, exe, "search", "--index", db, "--signature", spelling, "--json")
		var runs []index.Run
		if err := json.Unmarshal([]byte(stdout), &runs); code != 0 || err != nil || len(runs) != 2 || runs[0].Signature != sig || runs[1].Signature != sig {
			t.Errorf("search --signature %q: exit %d, %v, %d runs\n%s", spelling, code, err, len(runs), stderr)
		}
		if !strings.Contains(stderr, "read as "+string(form)) {
			t.Errorf("search --signature %q does not say it read a %s: %s", spelling, form, stderr)
		}
	}
	if _, stderr, code := runCoroner(t, exe, "search", "--index", db, "--signature", "no spelling at all"); code != exitUsage {
		t.Errorf("search by an unreadable signature: exit %d, want %d\n%s", code, exitUsage, stderr)
	}

	serve := exec.Command(exe, "serve", "--index", db, "--listen", "127.0.0.1:0")
	errPipe, err := serve.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer serve.Process.Kill()
	line, err := bufio.NewReader(errPipe).ReadString('\n')
	addr := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/`).FindStringSubmatch(line)
	if err != nil || addr == nil {
		t.Fatalf("serve did not say where it listens: %q %v", line, err)
	}
	resp, err := http.Get("http://" + addr[1] + "/signatures.json?cause=crash")
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Groups []index.SignatureGroup `json:"groups"`
	}
	err = json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if err != nil || len(page.Groups) != 1 || page.Groups[0].Signature != sig || page.Groups[0].Count != 2 {
		t.Errorf("serve's signatures: %v %+v", err, page.Groups)
	}
	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serve.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v, want exit 0", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("serve did not stop on SIGTERM")
	}
}
