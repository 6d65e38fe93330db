package source

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// Git metadata is read as files, without a git binary, and only under
// the source root: .git/HEAD, loose refs, packed-refs, and a worktree's
// gitdir and commondir links when they stay inside the root.

// maxGitFileBytes bounds HEAD, a loose ref, a gitdir or commondir file:
// each holds one line, a ref name or a path (PATH_MAX is 4096 on Linux).
const maxGitFileBytes = 4096 + 64

// maxSymrefDepth bounds chains of symbolic refs (HEAD → refs/heads/main);
// git itself gives up after 5 (refs.c, SYMREF_MAXDEPTH).
const maxSymrefDepth = 5

// errNoRevision reports a checkout whose HEAD names no commit yet.
var errNoRevision = errors.New("HEAD names no commit")

// parseHead reads the content of HEAD or a loose ref: either a commit
// hash (a detached HEAD, a branch's ref file) or "ref: <name>".
func parseHead(data []byte) (ref, hash string, err error) {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	s := strings.TrimSpace(string(line))
	if r, ok := strings.CutPrefix(s, "ref:"); ok {
		r = strings.TrimSpace(r)
		if !validRef(r) {
			return "", "", fmt.Errorf("symbolic ref %q is not a ref name", r)
		}
		return r, "", nil
	}
	if isHash(s) {
		return "", strings.ToLower(s), nil
	}
	return "", "", fmt.Errorf("neither a commit hash nor a symbolic ref: %q", truncate(s, 80))
}

// parsePackedRefs finds ref name in a packed-refs file: a header comment,
// then "<hash> <name>" lines, each possibly followed by a "^<hash>" line
// peeling an annotated tag. It reads line by line with bounded memory;
// lines longer than a ref line can be are skipped.
func parsePackedRefs(r io.Reader, name string) (hash string, ok bool, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxGitFileBytes)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || line[0] == '^' {
			continue
		}
		h, n, found := strings.Cut(line, " ")
		if !found || strings.TrimRight(n, "\r") != name {
			continue
		}
		if !isHash(h) {
			return "", false, fmt.Errorf("packed ref %q: %q is not a commit hash", name, truncate(h, 80))
		}
		return strings.ToLower(h), true, nil
	}
	if err := sc.Err(); err != nil {
		return "", false, err
	}
	return "", false, nil
}

// isHash reports a SHA-1 or SHA-256 object name in hex.
func isHash(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// validRef accepts the ref names HEAD may point to: under refs/, no
// empty, "." or ".." component, no control characters (git's
// check-refname-format is stricter; this is what keeps a path under the
// git directory).
func validRef(r string) bool {
	if !strings.HasPrefix(r, "refs/") || len(r) > 1024 {
		return false
	}
	for _, c := range strings.Split(r, "/") {
		if c == "" || c == "." || c == ".." {
			return false
		}
	}
	return !strings.ContainsFunc(r, func(c rune) bool { return c < 0x20 || c == 0x7f || c == '\\' })
}

// gitDirs locates a checkout's git directory and its common directory
// (where refs live; the same unless a worktree) from the ".git" entry at
// dotGit, a slash path relative to root.
func gitDirs(root *os.Root, dotGit string) (gitDir, common string, err error) {
	st, err := root.Stat(dotGit)
	if err != nil {
		return "", "", err
	}
	gitDir = dotGit
	if !st.IsDir() {
		data, err := readSmall(root, dotGit)
		if err != nil {
			return "", "", err
		}
		p, ok := strings.CutPrefix(strings.TrimSpace(firstLine(data)), "gitdir:")
		if !ok {
			return "", "", fmt.Errorf("%s: not a gitdir link", dotGit)
		}
		if gitDir, err = within(path.Dir(dotGit), strings.TrimSpace(p)); err != nil {
			return "", "", fmt.Errorf("%s: %w", dotGit, err)
		}
	}
	common = gitDir
	if data, err := readSmall(root, path.Join(gitDir, "commondir")); err == nil {
		if common, err = within(gitDir, strings.TrimSpace(firstLine(data))); err != nil {
			return "", "", fmt.Errorf("%s: %w", path.Join(gitDir, "commondir"), err)
		}
	}
	return gitDir, common, nil
}

// within resolves p (relative to dir, both slash paths under the root)
// and refuses a result outside the root: the root's own git metadata only.
func within(dir, p string) (string, error) {
	if path.IsAbs(p) {
		return "", fmt.Errorf("link to %q leads out of the source root", p)
	}
	j := path.Join(dir, p)
	if j == ".." || strings.HasPrefix(j, "../") {
		return "", fmt.Errorf("link to %q leads out of the source root", p)
	}
	return j, nil
}

// headRevision returns the commit a checkout's HEAD names.
func headRevision(root *os.Root, dotGit string) (string, error) {
	gitDir, common, err := gitDirs(root, dotGit)
	if err != nil {
		return "", err
	}
	data, err := readSmall(root, path.Join(gitDir, "HEAD"))
	if err != nil {
		return "", err
	}
	ref, hash, err := parseHead(data)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path.Join(gitDir, "HEAD"), err)
	}
	for depth := 0; hash == "" && depth < maxSymrefDepth; depth++ {
		if ref, hash, err = resolveRef(root, gitDir, common, ref); err != nil {
			return "", err
		}
	}
	if hash == "" {
		return "", fmt.Errorf("%s: symbolic refs nested deeper than %d", path.Join(gitDir, "HEAD"), maxSymrefDepth)
	}
	return hash, nil
}

// resolveRef reads ref as a loose ref file (per-worktree refs in gitDir,
// shared ones in common), then from packed-refs.
func resolveRef(root *os.Root, gitDir, common, ref string) (next, hash string, err error) {
	for _, dir := range []string{gitDir, common} {
		p := path.Join(dir, ref)
		data, err := readSmall(root, p)
		if err == nil {
			next, hash, err := parseHead(data)
			if err != nil {
				return "", "", fmt.Errorf("%s: %w", p, err)
			}
			return next, hash, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", "", err
		}
	}
	p := path.Join(common, "packed-refs")
	f, err := root.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return "", "", fmt.Errorf("%s: %w", ref, errNoRevision)
	}
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	hash, ok, err := parsePackedRefs(f, ref)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", p, err)
	}
	if !ok {
		return "", "", fmt.Errorf("%s: %w", ref, errNoRevision)
	}
	return "", hash, nil
}

// readSmall reads a git file of a line or two (or GOROOT's VERSION),
// refusing larger ones.
func readSmall(root *os.Root, p string) ([]byte, error) {
	f, err := root.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxGitFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if len(data) > maxGitFileBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", p, maxGitFileBytes)
	}
	return data, nil
}

func firstLine(b []byte) string {
	l, _, _ := bytes.Cut(b, []byte("\n"))
	return string(l)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
