package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"

	"github.com/coroner/coroner/bundle"
)

// maxExpandDepth is how many archive layers are opened: the attachment
// itself and one level of archives inside it. Deeper archives are stored as
// files, so no input is ever expanded without bound.
const maxExpandDepth = 2

// gatherer gathers the candidates from the inputs, enforcing the limits.
type gatherer struct {
	ctx   context.Context
	lim   Limits
	stage string
	log   func(string, ...any)
	stdin io.Reader

	files    []*candidate
	seen     int   // entries looked at, including skipped ones
	total    int64 // bytes of all candidates
	spooled  int
	staged   int64 // bytes written to the staging directory
	warnings []string
	dropped  int
}

// warn records a warning for the manifest and logs it.
func (c *gatherer) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	c.log("warning: %s", msg)
	if len(c.warnings) < maxWarnings {
		c.warnings = append(c.warnings, msg)
	} else {
		c.dropped++
	}
}

func (c *gatherer) warningList() []string {
	w := append([]string(nil), c.warnings...)
	slices.Sort(w)
	if c.dropped > 0 {
		w = append(w, fmt.Sprintf("%d more warnings not recorded", c.dropped))
	}
	return w
}

// count enforces MaxMembers over every entry met in the inputs.
func (c *gatherer) count(name string) error {
	c.seen++
	if c.seen > c.lim.MaxMembers {
		return fmt.Errorf("%s: more than %d entries in the inputs: %w", bundle.QuoteName(name), c.lim.MaxMembers, bundle.ErrTooLarge)
	}
	return nil
}

// addInput adds one command-line input.
func (c *gatherer) addInput(in string) error {
	if in == "-" {
		if c.stdin == nil {
			return errors.New("input \"-\": no standard input")
		}
		return c.addStream(c.stdin, "stdin", 0)
	}
	st, err := os.Stat(in)
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	switch {
	case st.IsDir():
		return c.addDir(in)
	case st.Mode().IsRegular():
		return c.addFile(in, filepath.Base(in), 0)
	default:
		return fmt.Errorf("input %s is a %s, not a file or directory", bundle.QuoteName(in), fileType(st.Mode()))
	}
}

// addDir walks a directory in lexical order. Symlinks are not followed;
// devices, FIFOs and sockets are never opened.
func (c *gatherer) addDir(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return fmt.Errorf("input %s: %w", bundle.QuoteName(dir), err)
			}
			c.warn("%s: skipped: %v", bundle.QuoteName(p), err)
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if cerr := c.ctx.Err(); cerr != nil {
			return cerr
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch t := d.Type(); {
		case d.IsDir():
			return nil
		case t.IsRegular():
			if err := c.count(rel); err != nil {
				return err
			}
			err := c.addFile(p, rel, 0)
			var oe *openError
			if errors.As(err, &oe) {
				c.warn("%s: skipped: %v", bundle.QuoteName(rel), oe.err)
				return nil
			}
			return err
		default:
			if err := c.count(rel); err != nil {
				return err
			}
			c.warn("%s: %s skipped (never followed or opened)", bundle.QuoteName(rel), fileType(t))
			return nil
		}
	})
}

func fileType(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m.IsDir():
		return "directory"
	}
	return "special file"
}

// openRegular opens p without following a symlink and without blocking on
// a FIFO, and fails unless it is a regular file: a file swapped for a FIFO
// or device after the directory was listed is refused, not read.
func openRegular(p string) (*os.File, os.FileInfo, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("is a %s, not a regular file", fileType(st.Mode()))
	}
	return f, st, nil
}

// addFile sniffs a file on disk and adds it, unwrapping compression and
// expanding archives up to maxExpandDepth.
func (c *gatherer) addFile(p, original string, depth int) error {
	f, st, err := openRegular(p)
	if err != nil {
		return &openError{name: original, err: err}
	}
	defer f.Close()
	if st.Size() == 0 {
		c.warn("%s: empty file skipped", bundle.QuoteName(original))
		return nil
	}
	if st.Size() > c.lim.MaxMemberBytes {
		return fmt.Errorf("%s: %d bytes: single member size limit of %d bytes: %w", bundle.QuoteName(original), st.Size(), c.lim.MaxMemberBytes, bundle.ErrTooLarge)
	}
	kind, attrs, warns := Sniff(f, st.Size())
	for _, w := range warns {
		c.warn("%s: %s", bundle.QuoteName(original), w)
	}
	if comp := attrs["compression"]; comp != "" {
		return c.addCompressed(f, st, original, comp, depth)
	}
	if cont := attrs["container"]; cont != "" {
		if depth >= maxExpandDepth {
			c.warn("%s: %s archive nested inside an archive; stored as a file, not expanded", bundle.QuoteName(original), cont)
			return c.addCandidate(f, st, original, bundle.KindOther, map[string]string{"container": cont}, "")
		}
		c.log("%s: expanding %s archive", bundle.QuoteName(original), cont)
		if cont == "zip" {
			return c.addZip(f, st.Size(), original, depth+1)
		}
		return c.addTar(io.NewSectionReader(f, 0, st.Size()), original, depth+1)
	}
	if kind == bundle.KindOther {
		c.warn("%s: content not recognized; stored as other", bundle.QuoteName(original))
	}
	return c.addCandidate(f, st, original, kind, attrs, "")
}

// addCandidate records f; it is hashed and compressed later, in one read
// (see pack).
func (c *gatherer) addCandidate(f *os.File, st os.FileInfo, original string, kind bundle.Kind, attrs map[string]string, comp string) error {
	if len(c.files) >= c.lim.MaxMembers {
		return fmt.Errorf("%s: more than %d artifacts: %w", bundle.QuoteName(original), c.lim.MaxMembers, bundle.ErrTooLarge)
	}
	c.total += st.Size()
	if c.total > c.lim.MaxTotalBytes {
		return fmt.Errorf("%s: inputs exceed the total size limit of %d bytes: %w", bundle.QuoteName(original), c.lim.MaxTotalBytes, bundle.ErrTooLarge)
	}
	c.log("%s: %s, %d bytes", bundle.QuoteName(original), kind, st.Size())
	c.files = append(c.files, &candidate{original: original, src: f.Name(), size: st.Size(),
		kind: kind, attrs: attrs, compression: comp})
	return nil
}

// spool copies r (at most max bytes) into a new file in the staging
// directory and returns its path.
func (c *gatherer) spool(r io.Reader, original string, max int64) (string, error) {
	c.spooled++
	p := filepath.Join(c.stage, fmt.Sprintf("m%06d", c.spooled))
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("staging %s: %w", bundle.QuoteName(original), err)
	}
	what := "the per-member limit"
	if left := c.lim.MaxTotalBytes - c.staged; left < max {
		max, what = left, "the total size limit"
	}
	n, err := io.Copy(f, &ctxReader{ctx: c.ctx, r: bundle.NewCappedReader(r, max, what)})
	c.staged += n
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		os.Remove(p)
		return "", fmt.Errorf("%s: %w", bundle.QuoteName(original), err)
	}
	return p, nil
}

// openError reports a file that could not be opened as a regular file; in
// a directory walk it becomes a warning, for an explicit input an error.
type openError struct {
	name string
	err  error
}

func (e *openError) Error() string { return fmt.Sprintf("%s: %v", bundle.QuoteName(e.name), e.err) }
func (e *openError) Unwrap() error { return e.err }
