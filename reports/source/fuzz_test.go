package source

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/coroner/coroner/analyze"
)

func FuzzPackedRefs(f *testing.F) {
	f.Add([]byte("# pack-refs with: peeled fully-peeled sorted \n"+revA+" refs/heads/main\n^"+revB+"\n"), "refs/heads/main")
	f.Add([]byte(revA+" refs/tags/v1\r\n"), "refs/tags/v1")
	f.Add([]byte("zz refs/heads/main\n"), "refs/heads/main")
	f.Add([]byte(strings.Repeat("x", maxGitFileBytes+10)+"\n"+revA+" refs/heads/main\n"), "refs/heads/main")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		h, ok, err := parsePackedRefs(bytes.NewReader(data), name)
		if ok && (err != nil || !isHash(h)) {
			t.Fatalf("found %q with error %v", h, err)
		}
	})
}

func FuzzParseHead(f *testing.F) {
	f.Add([]byte("ref: refs/heads/main\n"))
	f.Add([]byte(revA + "\n"))
	f.Add([]byte("ref: refs/../x\n"))
	f.Add([]byte("ref:refs/heads/a\x00b"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ref, hash, err := parseHead(data)
		switch {
		case err != nil:
			if ref != "" || hash != "" {
				t.Fatalf("error %v with %q %q", err, ref, hash)
			}
		case ref != "":
			if !validRef(ref) || strings.Contains(ref, "..") && strings.Contains("/"+ref+"/", "/../") {
				t.Fatalf("invalid ref %q accepted", ref)
			}
		case !isHash(hash):
			t.Fatalf("hash %q", hash)
		}
	})
}

func FuzzModulePath(f *testing.F) {
	f.Add([]byte("module example.com/x // c\n\ngo 1.22\n"))
	f.Add([]byte("// c\nmodule \"example.com/q\"\n"))
	f.Add([]byte("module `x y`\n"))
	f.Add([]byte("modulex\nmodule\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := modulePath(data)
		if strings.ContainsAny(m, " \t\r\n\"`") {
			t.Fatalf("module path %q", m)
		}
	})
}

// FuzzReadWindow checks that reading any bytes keeps only the asked-for
// lines, each bounded, and counts lines as bytes.Count does.
func FuzzReadWindow(f *testing.F) {
	f.Add([]byte("a\nb\r\nc"), 2, 3, 5)
	f.Add([]byte(strings.Repeat("é", 600)+"\n"), 1, 1, 1)
	f.Add([]byte(""), 1, 4, 0)
	f.Fuzz(func(t *testing.T, data []byte, from, to, need int) {
		from, to, need = 1+abs(from)%50, 1+abs(to)%50, abs(need)%100
		if from > to {
			from, to = to, from
		}
		w, err := readWindow(bytes.NewReader(data), []span{{from, to}}, need)
		if err != nil {
			t.Fatal(err)
		}
		lines := bytes.Count(data, []byte("\n"))
		if len(data) > 0 && data[len(data)-1] != '\n' {
			lines++
		}
		if w.known && w.lines != lines {
			t.Fatalf("counted %d lines, the data has %d", w.lines, lines)
		}
		for n, s := range w.text {
			if n < from || n > to || len(s) > maxLineBytes+len("…") {
				t.Fatalf("line %d kept (%d bytes) outside %d–%d or too long", n, len(s), from, to)
			}
			if utf8.Valid(data) && !utf8.ValidString(s) {
				t.Fatalf("valid input, invalid line %q", s)
			}
		}
	})
}

func abs(i int) int {
	if i < 0 {
		if i == -i {
			return 0
		}
		return -i
	}
	return i
}

// FuzzCandidates checks that no file name an executable may carry maps to
// a path outside the tree it is tried under.
func FuzzCandidates(f *testing.F) {
	f.Add("github.com/BurntSushi/toml@v1.2.0/decode.go", "example.com/svc")
	f.Add("/usr/local/go/src/runtime/proc.go", "")
	f.Add("example.com/svc/../../../etc/passwd", "example.com/svc")
	f.Add("x@/../y", "x")
	f.Fuzz(func(t *testing.T, name, mainPath string) {
		b := &analyze.BuildInfo{MainPath: mainPath, Modules: []analyze.Module{{Path: mainPath + "/dep", Version: "v1.0.0",
			Replace: &analyze.Module{Path: "../up", Version: "v0"}}}}
		for _, rel := range candidates(name, b, &root{module: mainPath}) {
			if !filepath.IsLocal(rel) {
				t.Fatalf("%q maps to %q, outside the tree", name, rel)
			}
		}
	})
}
