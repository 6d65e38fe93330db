package bundle

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"runtime"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// frameBlock is the most uncompressed bytes one zstd frame holds. Frames
// are compressed in parallel, so the archive's compression is as fast as
// the machine's cores allow; zstd level 3 looks back only 2 MiB
// (windowLog 21 in zstd's level table), so cutting every 4 MiB costs almost
// nothing in ratio.
const frameBlock = 4 << 20

// frameWriter compresses a byte stream into a sequence of independent zstd
// frames. A frame ends every frameBlock bytes and whenever EndFrame is
// called, so the stream's frame boundaries depend only on its content and
// the calls: the output is deterministic whatever the concurrency.
// Frames are compressed concurrently and written in order.
type frameWriter struct {
	w   io.Writer
	enc *zstd.Encoder
	buf []byte

	queue   chan *frameJob // to compressors
	ordered chan *frameJob // to the writer goroutine, in stream order
	wg      sync.WaitGroup
	done    chan struct{}
	errMu   sync.Mutex
	err     error
	written int64
	sum     hash.Hash // SHA-256 of every compressed byte written
}

type frameJob struct {
	src, out []byte
	ready    chan struct{}
}

var blockPool = sync.Pool{New: func() any { b := make([]byte, 0, frameBlock); return &b }}

// newFrameWriter starts the compressors writing to w.
func newFrameWriter(w io.Writer) (*frameWriter, error) {
	n := runtime.GOMAXPROCS(0)
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithEncoderConcurrency(n), zstd.WithEncoderCRC(true), zstd.WithZeroFrames(true))
	if err != nil {
		return nil, fmt.Errorf("zstd encoder: %w", err)
	}
	fw := &frameWriter{
		w: w, enc: enc,
		queue:   make(chan *frameJob, n),
		ordered: make(chan *frameJob, 2*n),
		done:    make(chan struct{}),
		sum:     sha256.New(),
	}
	fw.buf = *blockPool.Get().(*[]byte)
	for range n {
		fw.wg.Add(1)
		go fw.compress()
	}
	go fw.writeOut()
	return fw, nil
}

func (fw *frameWriter) compress() {
	defer fw.wg.Done()
	for j := range fw.queue {
		j.out = fw.enc.EncodeAll(j.src, make([]byte, 0, len(j.src)/2+64))
		close(j.ready)
	}
}

func (fw *frameWriter) writeOut() {
	defer close(fw.done)
	for j := range fw.ordered {
		<-j.ready
		src := j.src[:0]
		blockPool.Put(&src)
		if fw.failed() != nil {
			continue
		}
		n, err := fw.w.Write(j.out)
		fw.sum.Write(j.out[:n])
		fw.written += int64(n)
		if err != nil {
			fw.setErr(err)
		}
	}
}

func (fw *frameWriter) failed() error {
	fw.errMu.Lock()
	defer fw.errMu.Unlock()
	return fw.err
}

func (fw *frameWriter) setErr(err error) {
	fw.errMu.Lock()
	defer fw.errMu.Unlock()
	if fw.err == nil {
		fw.err = err
	}
}

// Write buffers p, submitting full blocks for compression.
func (fw *frameWriter) Write(p []byte) (int, error) {
	if err := fw.failed(); err != nil {
		return 0, err
	}
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), frameBlock-len(fw.buf))
		fw.buf = append(fw.buf, p[:k]...)
		p = p[k:]
		if len(fw.buf) == frameBlock {
			fw.submit()
		}
	}
	return n, nil
}

// ReadFrom fills blocks straight from r, saving a copy.
func (fw *frameWriter) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		if err := fw.failed(); err != nil {
			return total, err
		}
		n, err := r.Read(fw.buf[len(fw.buf):frameBlock])
		fw.buf = fw.buf[:len(fw.buf)+n]
		total += int64(n)
		if len(fw.buf) == frameBlock {
			fw.submit()
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// EndFrame ends the current frame, so that a reader can stop cleanly at
// this point of the stream.
func (fw *frameWriter) EndFrame() {
	if len(fw.buf) > 0 {
		fw.submit()
	}
}

func (fw *frameWriter) submit() {
	j := &frameJob{src: fw.buf, ready: make(chan struct{})}
	fw.ordered <- j
	fw.queue <- j
	fw.buf = *blockPool.Get().(*[]byte)
}

// Close flushes the last frame, waits for every frame to be written, and
// returns the first error met.
func (fw *frameWriter) Close() error {
	fw.EndFrame()
	close(fw.queue)
	close(fw.ordered)
	fw.wg.Wait()
	<-fw.done
	fw.enc.Close()
	return fw.failed()
}
