package traces

import (
	"bytes"
	"context"
	"crypto/sha256"
	"runtime/trace"
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/bundle/tracefile"
)

// traceOf traces this process while body runs for d, and folds the trace
// into Wakes.
func traceOf(t *testing.T, d time.Duration, body func(stop <-chan struct{})) *Wakes {
	t.Helper()
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); body(stop) }()
	time.Sleep(d)
	close(stop)
	<-done
	trace.Stop()
	f := newWakeFolder()
	if _, err := tracefile.SummarizeWith(context.Background(), &buf, "trace", f.event); err != nil {
		t.Fatal(err)
	}
	return f.w
}

// TestWakes: goroutines looping on a microsecond timer are woken by the
// scheduler and run almost nothing; a goroutine woken by another
// goroutine's send is not a scheduler wake-up, and one woken by a timer
// to do real work is not empty.
func TestWakes(t *testing.T) {
	t.Run("timer loop", func(t *testing.T) {
		w := traceOf(t, 200*time.Millisecond, func(stop <-chan struct{}) {
			done := make(chan struct{})
			for range 8 {
				go func() {
					defer func() { done <- struct{}{} }()
					for {
						select {
						case <-stop:
							return
						case <-time.After(time.Microsecond):
						}
					}
				}()
			}
			for range 8 {
				<-done
			}
		})
		t.Logf("short %d measured %d empty %d runs %v", w.Short, w.Measured, w.Empty, w.Runs)
		if w.Measured < 100 || float64(w.Empty) < 0.5*float64(w.Measured) {
			t.Errorf("timer loop: %d measured, %d empty; want most of many empty", w.Measured, w.Empty)
		}
		if s := w.TopEmpty(); s == nil || !strings.Contains(s.Frame.Func, "TestWakes") {
			t.Errorf("top site %+v, want the test's loop", s)
		}
	})
	t.Run("channel hand-off", func(t *testing.T) {
		w := traceOf(t, 200*time.Millisecond, func(stop <-chan struct{}) {
			ch := make(chan int)
			go func() {
				for v := range ch {
					_ = v
				}
			}()
			defer close(ch)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case ch <- i:
				}
			}
		})
		t.Logf("short %d measured %d empty %d runs %v", w.Short, w.Measured, w.Empty, w.Runs)
		if w.Short > 50 {
			t.Errorf("goroutines woken by another goroutine counted as %d scheduler wake-ups", w.Short)
		}
	})
	t.Run("timer then work", func(t *testing.T) {
		w := traceOf(t, 200*time.Millisecond, func(stop <-chan struct{}) {
			// Several goroutines, so the Ps stay busy and the timers are
			// run within microseconds rather than after an idle M's
			// millisecond-grained epoll_wait.
			done := make(chan struct{})
			for range 8 {
				go func() {
					defer func() { done <- struct{}{} }()
					var h [32]byte
					for {
						select {
						case <-stop:
							return
						case <-time.After(time.Microsecond):
						}
						for range 500 { // some 25–50 µs
							h = sha256.Sum256(h[:])
						}
					}
				}()
			}
			for range 8 {
				<-done
			}
		})
		t.Logf("short %d measured %d empty %d runs %v", w.Short, w.Measured, w.Empty, w.Runs)
		if w.Measured < 20 || float64(w.Empty) > 0.2*float64(w.Measured) {
			t.Errorf("timer then work: %d measured, %d empty; want few empty", w.Measured, w.Empty)
		}
	})
}
