package ingest

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/coroner/coroner/bundle"
)

// packOrder sorts candidates for storage: small members first (profiles,
// traces and logs are reached without decompressing a multi-GiB core),
// then by name.
func packOrder(cs []*candidate) {
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].size != cs[j].size {
			return cs[i].size < cs[j].size
		}
		return cs[i].name < cs[j].name
	})
}

// pack writes every candidate as a member into the archive through w,
// reading each input once. A candidate whose content equals one already
// written is dropped again and recorded as an alias of it. It returns the
// stored candidates in order.
func (c *gatherer) pack(w *bundle.ArchiveWriter) ([]*candidate, error) {
	bySHA := map[string]*candidate{}
	var stored []*candidate
	for _, cd := range c.files {
		c.log("writing %s", cd.name)
		if err := c.packOne(w, cd); err != nil {
			return nil, err
		}
		if first, ok := bySHA[cd.sha]; ok {
			if err := w.DropLastMember(); err != nil {
				return nil, err
			}
			first.also = append(first.also, cd.original)
			c.log("%s: identical to %s, stored once", bundle.QuoteName(cd.original), bundle.QuoteName(first.original))
			continue
		}
		bySHA[cd.sha] = cd
		stored = append(stored, cd)
	}
	return stored, nil
}

// packOne writes one candidate as a member, checking that its file is
// still the size it had when gathered.
func (c *gatherer) packOne(w *bundle.ArchiveWriter, cd *candidate) error {
	f, st, err := openRegular(cd.src)
	if err != nil {
		return &InputError{Err: fmt.Errorf("%s: %w", bundle.QuoteName(cd.original), err)}
	}
	defer f.Close()
	if st.Size() != cd.size {
		return &InputError{Err: fmt.Errorf("%s changed while being ingested (%d bytes, was %d)", bundle.QuoteName(cd.original), st.Size(), cd.size)}
	}
	r := &inputReader{ctx: c.ctx, r: io.NewSectionReader(f, 0, cd.size), original: cd.original, size: cd.size}
	sum, err := w.WriteMember(cd.name, cd.size, r)
	if err != nil {
		return err
	}
	cd.sha = sum
	return nil
}

// inputReader reads a candidate's file for the archive writer, turning
// its failures into InputErrors: a read error, or the file ending before
// the size it had when gathered. It stops once ctx is done.
type inputReader struct {
	ctx      context.Context
	r        io.Reader
	original string
	n, size  int64
}

func (r *inputReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	k, err := r.r.Read(p)
	r.n += int64(k)
	switch {
	case err == io.EOF && r.n != r.size:
		return k, &InputError{Err: fmt.Errorf("%s changed while being ingested (read %d bytes, expected %d)", bundle.QuoteName(r.original), r.n, r.size)}
	case err != nil && err != io.EOF:
		if r.ctx.Err() != nil {
			return k, err
		}
		return k, &InputError{Err: fmt.Errorf("%s: reading: %w", bundle.QuoteName(r.original), err)}
	}
	return k, err
}
