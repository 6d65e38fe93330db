package perfdata

import (
	"fmt"
	"slices"
	"testing"
)

// TestUnwindFPLeafFrame unwinds an amd64 sample taken at each point of a
// Go function's frame set-up and tear-down. The stack, from sp up:
//
//	sp+0x00  the function's locals
//	sp+0x10  the caller's fp, once PUSHQ BP ran
//	sp+0x18  return address into the caller (0x401111)
//	sp+0x20  caller's frame record: caller's caller fp, 0x402222
//	sp+0x30  caller's caller's frame record: 0, 0x403333
//
// The function's frame is 0x18 bytes at most: return address at
// sp+spdelta, own frame record (once BP is set) at sp+spdelta-8.
func TestUnwindFPLeafFrame(t *testing.T) {
	const sp = 0x7000_0000
	callerFP := uint64(sp + 0x20)
	stack := make([]byte, 0x40)
	put := func(off int, v uint64) { le.PutUint64(stack[off:], v) }
	put(0x10, callerFP) // where PUSHQ BP saves it
	put(0x18, 0x401111)
	put(0x20, sp+0x30)
	put(0x28, 0x402222)
	put(0x30, 0)
	put(0x38, 0x403333)
	full := []uint64{0x400100, 0x401111, 0x402222, 0x403333}
	skipped := []uint64{0x400100, 0x402222, 0x403333}
	cases := []struct {
		name    string
		sp, fp  uint64 // at the sample
		spdelta int
		known   bool
		want    []uint64
	}{
		// A frameless leaf, or a function at its first instruction or at
		// its RET: the return address is on top of the stack.
		{"frameless", sp + 0x18, callerFP, 0, true, full},
		// After PUSHQ BP, before MOVQ SP, BP: fp is still the caller's.
		{"pushed-bp", sp + 0x10, callerFP, 8, true, full},
		// After SUBQ: fp still the caller's, the return address 0x18 up.
		{"sub-before-mov", sp, callerFP, 0x18, true, full},
		// Frame set up: fp names the function's own record.
		{"framed", sp, sp + 0x10, 0x18, true, full},
		// After ADDQ, before POPQ BP: fp still names the own record.
		{"add-before-pop", sp + 0x10, sp + 0x10, 8, true, full},
		// No pcsp answer (no binary): the frame-pointer chain alone,
		// which misses the leaf's caller.
		{"unknown", sp + 0x18, callerFP, 0, false, skipped},
		// A delta past the copied stack is ignored.
		{"past-stack", sp, callerFP, 0x100, true, skipped},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &Sample{
				Attr:        &EventAttr{SampleRegsUser: 1<<x86RegBP | 1<<x86RegSP | 1<<x86RegIP},
				PID:         1,
				RegsUserABI: 2,
				RegsUser:    []uint64{c.fp, c.sp, 0x400100},
				StackUser:   stack[c.sp-sp:],
			}
			spDelta := func(pid uint32, ip uint64) (int, bool) {
				if ip != 0x400100 {
					t.Fatalf("spDelta asked about 0x%x", ip)
				}
				return c.spdelta, c.known
			}
			got, ok := unwindFP(s, "x86_64", nil, spDelta)
			if !ok || !slices.Equal(got, c.want) {
				t.Errorf("unwound %s, %v; want %s", hexList(got), ok, hexList(c.want))
			}
		})
	}
}

func hexList(l []uint64) string {
	s := "["
	for i, v := range l {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("0x%x", v)
	}
	return s + "]"
}
