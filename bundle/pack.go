package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sort"
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

// pack writes every candidate as a member into the archive through fw,
// reading each input once: it is hashed while all cores compress it. A
// candidate whose content equals one already written is rewound and
// recorded as an alias of it. It returns the stored candidates in order.
func (c *collector) pack(fw *frameWriter, out *os.File) ([]*candidate, error) {
	buf := copyBufPool.Get().(*[]byte)
	defer copyBufPool.Put(buf)
	bySHA := map[string]*candidate{}
	var stored []*candidate
	for _, cd := range c.files {
		off, frames, err := fw.Barrier()
		if err != nil {
			return nil, err
		}
		c.log("writing %s", cd.name)
		if err := c.packOne(fw, cd, *buf); err != nil {
			return nil, err
		}
		if first, ok := bySHA[cd.sha]; ok {
			if _, _, err := fw.Barrier(); err != nil {
				return nil, err
			}
			if err := out.Truncate(off); err != nil {
				return nil, fmt.Errorf("dropping duplicate: %w", err)
			}
			if _, err := out.Seek(off, io.SeekStart); err != nil {
				return nil, fmt.Errorf("dropping duplicate: %w", err)
			}
			fw.rewind(off, frames)
			first.also = append(first.also, cd.original)
			c.log("%s: identical to %s, stored once", quoteName(cd.original), quoteName(first.original))
			continue
		}
		bySHA[cd.sha] = cd
		stored = append(stored, cd)
	}
	return stored, nil
}

// packOne writes one member: its tar header frame, then its data (padded
// to a tar record) in frames, hashing the data as it is read.
func (c *collector) packOne(fw *frameWriter, cd *candidate, buf []byte) error {
	f, st, err := openRegular(cd.src)
	if err != nil {
		return &InputError{Err: fmt.Errorf("%s: %w", quoteName(cd.original), err)}
	}
	defer f.Close()
	if st.Size() != cd.size {
		return &InputError{Err: fmt.Errorf("%s changed while being ingested (%d bytes, was %d)", quoteName(cd.original), st.Size(), cd.size)}
	}
	hdr, err := tarHeader(cd.name, cd.size)
	if err != nil {
		return err
	}
	fw.Write(hdr)
	fw.EndFrame()
	h := sha256.New()
	r := &ctxReader{ctx: c.ctx, r: io.NewSectionReader(f, 0, cd.size)}
	var n int64
	for {
		k, err := r.Read(buf)
		if k > 0 {
			h.Write(buf[:k])
			fw.Write(buf[:k])
			n += int64(k)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			if c.ctx.Err() != nil {
				return err
			}
			return &InputError{Err: fmt.Errorf("%s: reading: %w", quoteName(cd.original), err)}
		}
	}
	if n != cd.size {
		return &InputError{Err: fmt.Errorf("%s changed while being ingested (read %d bytes, expected %d)", quoteName(cd.original), n, cd.size)}
	}
	if _, err := fw.Write(zeros[:padding(n)]); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	cd.sha = hex.EncodeToString(h.Sum(nil))
	return nil
}
