package symbolize

import (
	"bufio"
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// buildInline builds testdata/inline with the given linker flags and
// returns the binary and the frames it printed about itself.
func buildInline(t *testing.T, ldflags string) (string, []string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "inline")
	cmd := exec.Command("go", "build", "-o", bin, "-ldflags="+ldflags, ".")
	cmd.Dir = "testdata/inline"
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	return bin, strings.Split(strings.TrimSpace(string(out)), "\n")
}

// TestFramesMatchRuntime checks inline expansion against the Go runtime's
// own: for each physical frame of a real stack, the frames (function, file,
// line, inlined) coroner expands from its PC equal runtime.CallersFrames'.
// The stripped build (-s -w) has only the pclntab to go on.
func TestFramesMatchRuntime(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	for _, ldflags := range []string{"", "-s -w"} {
		bin, lines := buildInline(t, ldflags)
		b, err := Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Warnings) > 0 {
			t.Errorf("ldflags %q: warnings %q", ldflags, b.Warnings)
		}
		var want []Frame
		var groupPC string
		checked, inlined := 0, 0
		for _, ln := range lines {
			f := strings.Split(ln, "\t")
			if len(f) != 5 {
				t.Fatalf("bad line %q", ln)
			}
			line, _ := strconv.Atoi(f[3])
			fr := Frame{Func: f[1], File: f[2], Line: line, Inlined: f[4] == "true"}
			if len(want) == 0 {
				// The runtime reports an inlined group's physical PC
				// (return address - 1) on its innermost frame, and
				// the call sites within the function on the others.
				groupPC = f[0]
			}
			want = append(want, fr)
			if fr.Inlined {
				inlined++
				continue
			}
			pc, err := strconv.ParseUint(groupPC, 0, 64)
			if err != nil {
				t.Fatal(err)
			}
			got := b.Frames(pc)
			if !equalFrames(got, want) {
				t.Errorf("ldflags %q: Frames(%#x) = %+v, runtime says %+v", ldflags, pc, got, want)
			}
			if name, _ := b.Func(pc); name != fr.Func {
				t.Errorf("ldflags %q: Func(%#x) = %q, want %q", ldflags, pc, name, fr.Func)
			}
			want = want[:0]
			checked++
		}
		if inlined < 2 || checked < 4 {
			t.Errorf("ldflags %q: only %d physical and %d inlined frames; the test program no longer inlines", ldflags, checked, inlined)
		}
		b.Close()
	}
}

func equalFrames(a, b []Frame) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestFuncMatchesSymtab checks that every address of every function symbol
// of a real binary names the same function through the pclntab (what a
// stripped binary keeps) as through its ELF symbol table, apart from the
// ".abi0" suffix the linker gives assembly functions' symbols.
func TestFuncMatchesSymtab(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	bin, _ := buildInline(t, "")
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	syms, err := ef.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	n := 0
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) != elf.STT_FUNC || s.Size == 0 {
			continue
		}
		want := strings.TrimSuffix(s.Name, ".abi0")
		for _, pc := range []uint64{s.Value, s.Value + s.Size/2, s.Value + s.Size - 1} {
			got, ok := b.Func(pc)
			// The ELF symbol table spells the middle dot of generated
			// names as "." — compare modulo that.
			if !ok || strings.ReplaceAll(got, "·", ".") != want {
				t.Errorf("Func(%#x) = %q, %v; symbol table says %q", pc, got, ok, s.Name)
			}
			n++
		}
	}
	if n < 1000 {
		t.Errorf("only %d addresses checked", n)
	}
}

func TestKallsyms(t *testing.T) {
	raw, err := os.ReadFile("testdata/kallsyms.sample")
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseKallsyms(bytes.NewReader(raw), "kallsyms.sample")
	if err != nil {
		t.Fatal(err)
	}
	// Every text symbol's own address and the byte before the next
	// distinct address resolve to a symbol at that address.
	type line struct {
		addr uint64
		typ  byte
		name string
	}
	var text []line
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		a, _ := strconv.ParseUint(f[0], 16, 64)
		if strings.ContainsRune("TtWw", rune(f[1][0])) {
			text = append(text, line{a, f[1][0], f[2]})
		}
	}
	if len(text) < 100 || k.Len() == 0 || k.Len() > len(text) {
		t.Fatalf("%d text lines, %d symbols kept", len(text), k.Len())
	}
	for _, l := range text {
		name, ok := k.Lookup(l.addr)
		if !ok {
			t.Fatalf("Lookup(%#x) found nothing", l.addr)
		}
		found := false
		for _, m := range text {
			if m.addr == l.addr && m.name == name {
				found = true
			}
		}
		if !found {
			t.Errorf("Lookup(%#x) = %q, not a symbol at that address", l.addr, name)
		}
	}
	if _, ok := k.Lookup(text[0].addr - 1); ok && text[0].addr == minAddr(k) {
		t.Error("an address below every symbol resolved")
	}
}

func minAddr(k *Kallsyms) uint64 { return k.syms[0].addr }

// TestKallsymsAliases checks perf's choice among symbols sharing an address.
func TestKallsymsAliases(t *testing.T) {
	in := "ffffffff81000000 T _text\nffffffff81000000 T _stext\nffffffff81000000 t startup_64\n" +
		"ffffffff81000000 T srso_alias_untrain_ret\nffffffff81000100 W weak_fn\nffffffff81000100 t local_fn\n"
	k, err := ParseKallsyms(strings.NewReader(in), "aliases")
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[uint64]string{0xffffffff81000010: "srso_alias_untrain_ret", 0xffffffff81000100: "local_fn"} {
		if got, _ := k.Lookup(addr); got != want {
			t.Errorf("Lookup(%#x) = %q, want %q", addr, got, want)
		}
	}
}

func TestKallsymsBad(t *testing.T) {
	for name, in := range map[string]string{
		"not kallsyms":     "hello world\n",
		"bad address":      "zzzz T foo\n",
		"restricted":       "0000000000000000 T foo\n0000000000000000 t bar\n",
		"empty":            "",
		"overlong line":    "ffffffff81000000 T " + strings.Repeat("x", 5000) + "\n",
		"type too long":    "ffffffff81000000 TT foo\n",
		"address too long": "ffffffff8100000000000 T foo\n",
	} {
		if _, err := ParseKallsyms(strings.NewReader(in), name); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %q does not name the input", name, err)
		}
	}
}

// TestKallsymsFromFile checks that names read back from the file on lookup
// equal those kept in memory.
func TestKallsymsFromFile(t *testing.T) {
	raw, err := os.ReadFile("testdata/kallsyms.sample")
	if err != nil {
		t.Fatal(err)
	}
	mem, err := ParseKallsyms(bytes.NewReader(raw), "kallsyms.sample")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/kallsyms.sample")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	file, err := ParseKallsyms(f, "kallsyms.sample")
	if err != nil {
		t.Fatal(err)
	}
	if file.names != nil || file.Len() != mem.Len() {
		t.Fatalf("file-backed table: %d names bytes, %d symbols (memory: %d)", len(file.names), file.Len(), mem.Len())
	}
	for _, s := range mem.syms {
		for _, a := range []uint64{s.addr, s.addr + 1} {
			m, _ := mem.Lookup(a)
			g, _ := file.Lookup(a)
			if m != g || m == "" {
				t.Errorf("Lookup(%#x): file %q, memory %q", a, g, m)
			}
		}
	}
}

// TestResolveKallsyms checks the one-pass resolver against the table, for
// every symbol start, the bytes around it, and addresses outside.
func TestResolveKallsyms(t *testing.T) {
	raw, err := os.ReadFile("testdata/kallsyms.sample")
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseKallsyms(bytes.NewReader(raw), "kallsyms.sample")
	if err != nil {
		t.Fatal(err)
	}
	var addrs []uint64
	for _, s := range k.syms {
		addrs = append(addrs, s.addr-1, s.addr, s.addr+1, s.addr+0x40)
	}
	addrs = append(addrs, 0, 1, ^uint64(0))
	// Shuffled input lines must not matter: perf's table is sorted.
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	for i, j := 0, len(lines)-1; i < j; i, j = i+2, j-2 {
		lines[i], lines[j] = lines[j], lines[i]
	}
	got, err := ResolveKallsyms(strings.NewReader(strings.Join(lines, "\n")), "shuffled", addrs)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		want, ok := k.Lookup(a)
		g, gok := got[a]
		if ok != gok || g != want {
			t.Errorf("address %#x: resolver %q (%v), table %q (%v)", a, g, gok, want, ok)
		}
	}
}
