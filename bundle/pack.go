package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// pack reads every candidate once, hashing it while its data (padded to a
// tar record) is compressed into frames in a spool file by all cores. The
// manifest, written first, needs every hash; packing first means each
// input is read once and hashing overlaps compression. Assembly then only
// copies compressed frames.
func (c *collector) pack() (*os.File, error) {
	spool, err := os.OpenFile(filepath.Join(c.stage, "frames"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating spool: %w", err)
	}
	fw, err := newFrameWriter(spool)
	if err != nil {
		spool.Close()
		return nil, err
	}
	buf := copyBufPool.Get().(*[]byte)
	defer copyBufPool.Put(buf)
	var start int64
	perr := func() error {
		for _, cd := range c.files {
			c.log("reading %s", quoteName(cd.original))
			if err := c.packOne(fw, cd, *buf); err != nil {
				return err
			}
			end, err := fw.Barrier()
			if err != nil {
				return fmt.Errorf("spooling: %w", err)
			}
			cd.off, cd.n = start, end-start
			start = end
		}
		return nil
	}()
	cerr := fw.Close()
	if perr == nil && cerr != nil {
		perr = fmt.Errorf("spooling: %w", cerr)
	}
	if perr != nil {
		spool.Close()
		return nil, perr
	}
	return spool, nil
}

// packOne hashes and compresses one candidate.
func (c *collector) packOne(fw *frameWriter, cd *candidate, buf []byte) error {
	f, st, err := openRegular(cd.src)
	if err != nil {
		return &InputError{Err: fmt.Errorf("%s: %w", quoteName(cd.original), err)}
	}
	defer f.Close()
	if st.Size() != cd.size {
		return &InputError{Err: fmt.Errorf("%s changed while being ingested (%d bytes, was %d)", quoteName(cd.original), st.Size(), cd.size)}
	}
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
		return fmt.Errorf("spooling: %w", err)
	}
	cd.sha = hex.EncodeToString(h.Sum(nil))
	return nil
}
