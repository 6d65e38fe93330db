package bundle

import (
	"crypto/sha256"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// frameBlock is the most uncompressed bytes one zstd frame holds. Frames
// are compressed in parallel, so the archive's compression is as fast as
// the machine's cores allow; zstd's fast levels look back at most 2 MiB
// (windowLog 19-21 in zstd's level table), so cutting every 4 MiB costs
// almost nothing in ratio.
const frameBlock = 4 << 20

// frameLevel is the compression level. klauspost's SpeedFastest (zstd
// level 1's strategy) measured 30 % less CPU than SpeedDefault (level 3) on
// Go cores, for output about 1 % larger than `zstd -3` (corpus/bench/
// archive.sh): the archive is written once per incident, and ingest time
// is what a responder waits for.
const frameLevel = zstd.SpeedFastest

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
	written int64         // offset of the next byte in the output
	records []frameRecord // each frame written, in order
}

type frameJob struct {
	src, out []byte
	sum      [32]byte
	ready    chan struct{}
	mark     chan int64 // a barrier: receives the bytes written so far
}

// Buffers for blocks and their compressed frames are recycled: allocating
// 4 MiB per frame would make the garbage collector run, and preempt the
// compressors, every few frames.
var (
	blockPool = sync.Pool{New: func() any { b := make([]byte, 0, frameBlock); return &b }}
	outPool   = sync.Pool{New: func() any { b := make([]byte, 0, frameBlock+frameBlock/64+1024); return &b }}
)

// newFrameWriter starts the compressors writing to w, whose current
// offset is at.
func newFrameWriter(w io.Writer, at int64) (*frameWriter, error) {
	n := runtime.GOMAXPROCS(0)
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(frameLevel),
		zstd.WithEncoderConcurrency(n), zstd.WithEncoderCRC(true), zstd.WithZeroFrames(true))
	if err != nil {
		return nil, fmt.Errorf("zstd encoder: %w", err)
	}
	fw := &frameWriter{
		w: w, enc: enc,
		queue:   make(chan *frameJob, n),
		ordered: make(chan *frameJob, 2*n),
		done:    make(chan struct{}),
		written: at,
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
		j.out = fw.enc.EncodeAll(j.src, (*outPool.Get().(*[]byte))[:0])
		j.sum = sha256.Sum256(j.out)
		close(j.ready)
	}
}

func (fw *frameWriter) writeOut() {
	defer close(fw.done)
	for j := range fw.ordered {
		if j.mark != nil {
			j.mark <- fw.written
			continue
		}
		<-j.ready
		src := j.src[:0]
		blockPool.Put(&src)
		if fw.failed() == nil {
			n, err := fw.w.Write(j.out)
			fw.records = append(fw.records, frameRecord{
				off: fw.written, size: int64(len(j.out)), content: int64(len(j.src)), sum: j.sum})
			fw.written += int64(n)
			if err != nil {
				fw.setErr(err)
			}
		}
		out := j.out[:0]
		outPool.Put(&out)
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

// Barrier ends the current frame, waits until every frame so far is
// written, and returns the output offset and the number of frames written.
// Until the next Write the writer is idle, so the caller may rewind.
func (fw *frameWriter) Barrier() (int64, int, error) {
	fw.EndFrame()
	j := &frameJob{mark: make(chan int64, 1)}
	fw.ordered <- j
	n := <-j.mark
	return n, len(fw.records), fw.failed()
}

// rewind forgets the frames written after a Barrier that returned (off,
// frames); the caller has truncated the output to off.
func (fw *frameWriter) rewind(off int64, frames int) {
	fw.written = off
	fw.records = fw.records[:frames]
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

// encodeFrame compresses b into one frame, as the frame writer would.
func encodeFrame(b []byte) ([]byte, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(frameLevel),
		zstd.WithEncoderConcurrency(1), zstd.WithEncoderCRC(true), zstd.WithZeroFrames(true))
	if err != nil {
		return nil, fmt.Errorf("zstd encoder: %w", err)
	}
	defer enc.Close()
	return enc.EncodeAll(b, nil), nil
}
