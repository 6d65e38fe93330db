package gocore

import (
	"fmt"
	"go/constant"
	"reflect"
	"strings"

	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/service/api"

	"github.com/coroner/coroner/bundle/elfcore"
	"github.com/coroner/coroner/bundle/goroutines"
)

// loadCfg reads panic values and small runtime fields.
var loadCfg = proc.LoadConfig{FollowPointers: true, MaxVariableRecurse: 2, MaxStringLen: 1024, MaxArrayValues: 16, MaxStructFields: -1}

// panicFuncs are the runtime functions on a crashing goroutine's stack
// whose arguments hold the panic value or the fatal error text.
var (
	panicFrames = map[string]string{"runtime.gopanic": "e"}
	throwFrames = map[string]string{"runtime.throw": "s", "runtime.fatal": "s"}
)

// crashedGoroutine returns the goroutine on the thread that took the fatal
// signal (the core's first thread), or else one whose stack is in the
// runtime's panic or throw machinery.
func crashedGoroutine(tgt *proc.Target) *proc.G {
	if th := tgt.CurrentThread(); th != nil {
		if g, err := proc.GetG(th); err == nil && g != nil && g.ID != 0 {
			return g
		}
	}
	gs, _, err := proc.GoroutinesInfo(tgt, 0, 0)
	if err != nil {
		return nil
	}
	for _, g := range gs {
		if g.Unreadable != nil {
			continue
		}
		frames, _ := proc.GoroutineStacktrace(tgt, g, maxFrames, 0)
		for _, f := range frames {
			if f.Call.Fn == nil {
				continue
			}
			if _, ok := panicFrames[f.Call.Fn.Name]; ok {
				return g
			}
			if _, ok := throwFrames[f.Call.Fn.Name]; ok {
				return g
			}
		}
	}
	return nil
}

// crashInfo reads what the runtime left in memory about the crash: the
// panic value (gopanic's argument) or the fatal error text (throw's), and
// the signal the goroutine took (g.sig, g.sigcode1, g.sigpc).
func crashInfo(tgt *proc.Target, g *proc.G, _ []*proc.G) *goroutines.Crash {
	if g == nil {
		return threadCrash(tgt)
	}
	c := &goroutines.Crash{GoroutineID: g.ID}
	if g.Thread != nil {
		c.Thread = g.Thread.ThreadID()
	}
	frames, err := proc.GoroutineStacktrace(tgt, g, maxFrames, 0)
	if err != nil && len(frames) == 0 {
		return c
	}
	for i, f := range frames {
		if f.Call.Fn == nil {
			continue
		}
		name := f.Call.Fn.Name
		if arg, ok := panicFrames[name]; ok && c.Kind == "" {
			c.Kind = "panic"
			// g._panic.arg survives unwinding through the signal frames of
			// GOTRACEBACK=crash; gopanic's own argument is the fallback.
			if v, err := evalAt(tgt, g, frames, "runtime.curg._panic.arg"); err == nil {
				c.Message = panicValueString(v)
			} else if v, err := evalAt(tgt, g, frames[i:], arg); err == nil {
				c.Message = panicValueString(v)
			}
		}
		if arg, ok := throwFrames[name]; ok && c.Kind == "" {
			c.Kind = "fatal error"
			if v, err := evalAt(tgt, g, frames[i:], arg); err == nil && v.Value != nil && v.Value.Kind() == constant.String {
				c.Message = constant.StringVal(v.Value)
			}
		}
	}
	if len(frames) > 0 {
		if sig := evalInt(tgt, g, frames, "runtime.curg.sig"); sig != 0 {
			c.Signal = elfcore.SignalName(int(sig))
			c.FaultAddr = uint64(evalInt(tgt, g, frames, "runtime.curg.sigcode1"))
			c.PC = uint64(evalInt(tgt, g, frames, "runtime.curg.sigpc"))
			c.Code = fmt.Sprintf("%#x", evalInt(tgt, g, frames, "runtime.curg.sigcode0"))
		}
	}
	var gf []goroutines.Frame
	for _, f := range frames {
		if f.Call.Fn != nil {
			gf = append(gf, goroutines.Frame{Func: f.Call.Fn.Name, File: f.Call.File, Line: f.Call.Line, Inlined: f.Inlined})
		}
	}
	c.Site = goroutines.CrashSite(gf)
	return c
}

// evalAt evaluates expr in the scope of frames[0] of goroutine g.
func evalAt(tgt *proc.Target, g *proc.G, frames []proc.Stackframe, expr string) (v *proc.Variable, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("evaluating %s: %v", expr, r)
		}
	}()
	tid := 0
	if g.Thread != nil {
		tid = g.Thread.ThreadID()
	}
	scope := proc.FrameToScope(tgt, tgt.Memory(), g, tid, frames...)
	v, err = scope.EvalExpression(expr, loadCfg)
	if err == nil && v.Unreadable != nil {
		err = v.Unreadable
	}
	return v, err
}

// evalInt evaluates an integer expression, 0 when unreadable.
func evalInt(tgt *proc.Target, g *proc.G, frames []proc.Stackframe, expr string) int64 {
	v, err := evalAt(tgt, g, frames, expr)
	if err != nil || v.Value == nil {
		return 0
	}
	if n, ok := constant.Int64Val(constant.ToInt(v.Value)); ok {
		return n
	}
	if n, ok := constant.Uint64Val(constant.ToInt(v.Value)); ok {
		return int64(n)
	}
	return 0
}

// boundsFormats mirror runtime.boundsErrorFmt, indexed by boundsError.code.
var boundsFormats = []string{
	"index out of range [%x] with length %y",
	"slice bounds out of range [:%x] with length %y",
	"slice bounds out of range [:%x] with capacity %y",
	"slice bounds out of range [%x:%y]",
	"slice bounds out of range [::%x] with length %y",
	"slice bounds out of range [::%x] with capacity %y",
	"slice bounds out of range [:%x:%y]",
	"slice bounds out of range [%x:%y:]",
	"cannot convert slice with length %x to array or pointer to array with length %y",
}

// panicValueString renders a panic value (an interface) the way the
// runtime's printpanicval would, for the types panics carry most often.
func panicValueString(v *proc.Variable) string {
	if v.Kind == reflect.Interface && len(v.Children) == 1 {
		inner := &v.Children[0]
		typ := ""
		if inner.RealType != nil {
			typ = inner.RealType.String()
		} else if inner.DwarfType != nil {
			typ = inner.DwarfType.String()
		}
		switch typ {
		case "runtime.errorString":
			return "runtime error: " + stringVal(inner)
		case "runtime.plainError", "string":
			return stringVal(inner)
		case "runtime.boundsError":
			if s := boundsString(inner); s != "" {
				return "runtime error: " + s
			}
		case "*errors.errorString":
			if f := field(inner, "s"); f != nil {
				return stringVal(f)
			}
		}
		if s := stringVal(inner); s != "" {
			return s
		}
		return strings.TrimSpace(typ + " " + api.ConvertVar(inner).SinglelineString())
	}
	return api.ConvertVar(v).SinglelineString()
}

func stringVal(v *proc.Variable) string {
	if v.Value != nil && v.Value.Kind() == constant.String {
		return constant.StringVal(v.Value)
	}
	return ""
}

// field returns the named child of a struct, following one pointer.
func field(v *proc.Variable, name string) *proc.Variable {
	if v.Kind == reflect.Ptr && len(v.Children) == 1 {
		v = &v.Children[0]
	}
	for i := range v.Children {
		if v.Children[i].Name == name {
			return &v.Children[i]
		}
	}
	return nil
}

func boundsString(v *proc.Variable) string {
	code, x, y := field(v, "code"), field(v, "x"), field(v, "y")
	if code == nil || x == nil || y == nil || code.Value == nil || x.Value == nil || y.Value == nil {
		return ""
	}
	n, _ := constant.Int64Val(code.Value)
	if n < 0 || int(n) >= len(boundsFormats) {
		return ""
	}
	r := strings.NewReplacer("%x", x.Value.ExactString(), "%y", y.Value.ExactString())
	return r.Replace(boundsFormats[n])
}

// maxLockProbesPerStack and maxLockProbes bound how many waiting
// goroutines get their lock or channel address read: a few per distinct
// stack show whether waiters share one lock, without evaluating 100k
// goroutines.
const (
	maxLockProbesPerStack = 8
	maxLockProbes         = 4096
)

type lockProber struct {
	perStack map[string]int
	total    int
}

func newLockProber() *lockProber { return &lockProber{perStack: map[string]int{}} }

// lockArgs name, innermost first, the runtime and sync functions a parked
// goroutine waits in and the argument holding the object it waits on.
var lockArgs = []struct{ fn, arg string }{
	{"internal/sync.(*Mutex).lockSlow", "m"},
	{"sync.(*Mutex).lockSlow", "m"},
	{"sync.(*RWMutex).Lock", "rw"},
	{"sync.(*RWMutex).RLock", "rw"},
	{"sync.(*WaitGroup).Wait", "wg"},
	{"runtime.chanrecv", "c"},
	{"runtime.chansend", "c"},
	{"runtime.semacquire1", "addr"},
}

// probe returns the address of the mutex, channel or semaphore the
// goroutine is parked on, read from the argument of the runtime or sync
// function it waits in; 0 when not waiting, not probed or unreadable.
func (p *lockProber) probe(tgt *proc.Target, g *proc.G, frames []proc.Stackframe, out goroutines.Goroutine) uint64 {
	if out.Status != "waiting" || len(frames) == 0 || !waitsOnObject(out.WaitReason) || p.total >= maxLockProbes {
		return 0
	}
	key := out.WaitReason
	for _, f := range out.Frames {
		key += "|" + f.Func + fmt.Sprint(f.Line)
	}
	if p.perStack[key] >= maxLockProbesPerStack {
		return 0
	}
	p.perStack[key]++
	p.total++
	for _, la := range lockArgs {
		for i, f := range frames {
			if f.Call.Fn == nil || f.Call.Fn.Name != la.fn {
				continue
			}
			v, err := evalAt(tgt, g, frames[i:], la.arg)
			if err == nil && v.Kind == reflect.Ptr && len(v.Children) == 1 && v.Children[0].Addr != 0 {
				return v.Children[0].Addr
			}
		}
	}
	return 0
}

// waitsOnObject reports wait reasons that park on one channel or lock.
func waitsOnObject(reason string) bool {
	switch {
	case strings.HasPrefix(reason, "chan "), strings.HasPrefix(reason, "sync."), reason == "semacquire":
		return true
	}
	return false
}

// threadCrash reads a fatal error thrown on a thread's system stack with
// no user goroutine (e.g. the scheduler's "all goroutines are asleep -
// deadlock!"): runtime.throw's argument on the crashing thread's stack.
func threadCrash(tgt *proc.Target) *goroutines.Crash {
	th := tgt.CurrentThread()
	if th == nil {
		return nil
	}
	frames, err := proc.ThreadStacktrace(tgt, th, maxFrames)
	if err != nil && len(frames) == 0 {
		return nil
	}
	for i, f := range frames {
		if f.Call.Fn == nil {
			continue
		}
		arg, ok := throwFrames[f.Call.Fn.Name]
		if !ok {
			continue
		}
		c := &goroutines.Crash{Kind: "fatal error", Thread: th.ThreadID()}
		if v, err := evalThread(tgt, th, frames[i:], arg); err == nil && v.Value != nil && v.Value.Kind() == constant.String {
			c.Message = constant.StringVal(v.Value)
		}
		return c
	}
	return nil
}

func evalThread(tgt *proc.Target, th proc.Thread, frames []proc.Stackframe, expr string) (v *proc.Variable, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("evaluating %s: %v", expr, r)
		}
	}()
	scope := proc.FrameToScope(tgt, th.ProcessMemory(), nil, th.ThreadID(), frames...)
	v, err = scope.EvalExpression(expr, loadCfg)
	if err == nil && v.Unreadable != nil {
		err = v.Unreadable
	}
	return v, err
}

// handledSignal returns the signal the crashing thread's runtime.sighandler
// frame was handling (the runtime re-raises SIGABRT after printing a
// SIGQUIT dump under GOTRACEBACK=crash), or 0. The number is read from the
// sigtrampgo frame that called the handler, where it survives
// optimization.
func handledSignal(tgt *proc.Target) int64 {
	th := tgt.CurrentThread()
	if th == nil {
		return 0
	}
	frames, _ := proc.ThreadStacktrace(tgt, th, maxFrames)
	handler := false
	for i, f := range frames {
		if f.Call.Fn == nil {
			continue
		}
		switch f.Call.Fn.Name {
		case "runtime.sighandler":
			handler = true
		case "runtime.sigtrampgo":
			if !handler {
				continue
			}
			v, err := evalThread(tgt, th, frames[i:], "sig")
			if err != nil || v.Value == nil {
				return 0
			}
			n, _ := constant.Int64Val(constant.ToInt(v.Value))
			return n
		}
	}
	return 0
}
