package traces

import (
	"bytes"
	"context"
	"runtime/trace"
	"sync"
	"testing"
	"time"
)

// recordTrace traces this process while one goroutine stays blocked on a
// locked mutex throughout and others block and wake on another mutex.
// The runtime allows one trace at a time; it fails the test when another
// is running.
func recordTrace(t testing.TB) []byte {
	t.Helper()
	var held, busy sync.Mutex
	held.Lock()
	started := make(chan struct{})
	go func() {
		close(started)
		held.Lock() // never released while tracing
		defer held.Unlock()
	}()
	<-started
	time.Sleep(20 * time.Millisecond)
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				busy.Lock()
				time.Sleep(100 * time.Microsecond)
				busy.Unlock()
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()
	trace.Stop()
	held.Unlock()
	return buf.Bytes()
}

func TestReadWindow(t *testing.T) {
	tr := recordTrace(t)
	w, err := ReadWindow(context.Background(), bytes.NewReader(tr), "trace.out")
	if err != nil {
		t.Fatal(err)
	}
	if w.Duration < 100*time.Millisecond || w.Truncated {
		t.Errorf("duration %v truncated %v", w.Duration, w.Truncated)
	}
	whole := 0
	for _, d := range w.BlockedFor {
		if d == w.Duration {
			whole++
		}
	}
	if whole == 0 || w.Progressing < 4 {
		t.Errorf("blocked %v over %v, progressing %d", w.BlockedFor, w.Duration, w.Progressing)
	}
	woken := false
	for s := range w.LastWake {
		if s.Func == "github.com/coroner/coroner/analyze/traces.recordTrace.func2" {
			woken = true
		}
	}
	if !woken {
		t.Errorf("the contended mutex's waiters were not seen woken: %v", w.LastWake)
	}
	// A cut trace is truncated, not an error; an empty one is an error.
	if w, err := ReadWindow(context.Background(), bytes.NewReader(tr[:len(tr)*2/3]), "cut.out"); err != nil || !w.Truncated {
		t.Errorf("cut trace: %+v, %v", w, err)
	}
	if _, err := ReadWindow(context.Background(), bytes.NewReader(nil), "empty.out"); err == nil {
		t.Error("empty trace accepted")
	}
}

func FuzzReadWindow(f *testing.F) {
	tr := recordTrace(f)
	f.Add(tr)
	f.Add(tr[:len(tr)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := ReadWindow(context.Background(), bytes.NewReader(b), "fuzz.out")
		if err == nil && w.Duration < 0 {
			t.Errorf("negative duration %v", w.Duration)
		}
	})
}
