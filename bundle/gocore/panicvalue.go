package gocore

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// A panic's value is an interface (_panic.arg): a pointer to the dynamic
// type's descriptor (internal/abi.Type) and a data word. The descriptor's
// Str is an offset into the module's type data (moduledata.types), where
// an encoded name (internal/abi.Name) spells the type as Go prints it.
// Before the runtime prints a fatal panic it replaces an error value with
// its Error() text and a Stringer with its String() (preprintpanics), so a
// crash core mostly holds a string; the other values are formatted the
// way the runtime's printpanicval prints them, and the error types whose
// text lies in memory read as their Error method would return it.

// Bounds on a panic value read from a core.
const (
	// maxPanicText bounds the text read, as delve's MaxStringLen (1 KiB)
	// bounds what the delve census reads, so both readers agree.
	maxPanicText = 1 << 10
	// maxTypeName bounds a type's name: Go's longest names (generic
	// instantiations) run to a few hundred bytes.
	maxTypeName = 1 << 10
)

// Kinds of types (internal/abi.Kind) the formatter reads.
const (
	kindBool    = 1
	kindInt     = 2
	kindInt64   = 6
	kindUint    = 7
	kindUintptr = 12
	kindString  = 24
	// kindMask keeps the kind from abi.Type.Kind_, whose upper bits held
	// flags before Go 1.26 (KindDirectIface, KindGCProg).
	kindMask = 0x1f
	// tflagExtraStar marks a name stored with a leading '*' that the
	// type's own name lacks (internal/abi.TFlagExtraStar).
	tflagExtraStar = 1 << 1
)

// typeOffsets locate what the formatter reads of type descriptors.
type typeOffsets struct {
	tflag, kind, str int64
	// types is the address of firstmoduledata.types, the base of every
	// name offset (programs without plugins have one module).
	types uint64
	// bounds are runtime.boundsError's x, y, signed and code; ok false
	// when the DWARF lacks the type.
	bx, by, bsigned, bcode int64
	bounds                 bool
}

// typeOffsets returns the type descriptor's layout; ok is false when the
// program's DWARF or symbols do not describe it.
func (l *layout) typeOffsets() (o typeOffsets, ok bool) {
	fo := &fieldOffsets{l: l}
	o.tflag, o.kind, o.str = fo.get("internal/abi.Type", "TFlag"), fo.get("internal/abi.Type", "Kind_"), fo.get("internal/abi.Type", "Str")
	types := fo.get("runtime.moduledata", "types")
	md, ok := l.syms["runtime.firstmoduledata"]
	if fo.err != nil || !ok {
		return o, false
	}
	o.types = md.Value + uint64(types)
	bo := &fieldOffsets{l: l}
	o.bx, o.by = bo.get("runtime.boundsError", "x"), bo.get("runtime.boundsError", "y")
	o.bsigned, o.bcode = bo.get("runtime.boundsError", "signed"), bo.get("runtime.boundsError", "code")
	o.bounds = bo.err == nil
	return o, true
}

// typeName reads the name of the type whose descriptor is at typ, and its
// kind.
func (fr *fastReader) typeName(to *typeOffsets, typ uint64) (name string, kind uint8, err error) {
	var hdr [64]byte
	if err := fr.mem.read(hdr[:], typ); err != nil {
		return "", 0, fmt.Errorf("type descriptor at %#x: %w", typ, err)
	}
	if to.str+4 > int64(len(hdr)) || to.kind >= int64(len(hdr)) || to.tflag >= int64(len(hdr)) {
		return "", 0, fmt.Errorf("type descriptor layout out of range")
	}
	tflag, kind := hdr[to.tflag], hdr[to.kind]&kindMask
	off := int32(binary.LittleEndian.Uint32(hdr[to.str:]))
	base, err := fr.mem.u64(to.types)
	if err != nil {
		return "", 0, fmt.Errorf("moduledata.types: %w", err)
	}
	var raw [1 + binary.MaxVarintLen64 + maxTypeName]byte
	n := len(raw)
	for n > 0 && fr.mem.read(raw[:n], base+uint64(int64(off))) != nil {
		n /= 2 // the name may end near the end of a mapping
	}
	name, ok := decodeName(raw[:n])
	if !ok {
		return "", 0, fmt.Errorf("type name at %#x+%#x unreadable", base, off)
	}
	if tflag&tflagExtraStar != 0 && len(name) > 0 {
		name = name[1:]
	}
	return name, kind, nil
}

// decodeName decodes an internal/abi.Name: a flags byte, the name's
// length as a uvarint, then the name's bytes.
func decodeName(b []byte) (string, bool) {
	if len(b) < 2 {
		return "", false
	}
	n, k := binary.Uvarint(b[1:])
	if k <= 0 || n > maxTypeName || uint64(len(b)-1-k) < n {
		return "", false
	}
	return string(b[1+k : 1+k+int(n)]), true
}

// panicValue formats the interface value {typ, data} as the runtime
// prints a panic's value.
func (fr *fastReader) panicValue(to *typeOffsets, typ, data uint64) (string, error) {
	if typ == 0 {
		return "nil", nil
	}
	name, kind, err := fr.typeName(to, typ)
	if err != nil {
		return "", err
	}
	switch name {
	case "string":
		return fr.stringAt(data)
	case "runtime.plainError":
		return fr.stringAt(data)
	case "runtime.errorString":
		s, err := fr.stringAt(data)
		return "runtime error: " + s, err
	case "runtime.boundsError":
		if to.bounds {
			return fr.boundsText(to, data)
		}
	case "*errors.errorString", "*fmt.wrapError", "*fmt.wrapErrors":
		// Each keeps its Error() text in its first field (s, msg).
		return fr.stringAt(data)
	}
	switch kind {
	case kindString:
		s, err := fr.stringAt(data)
		return name + `("` + s + `")`, err
	case kindBool, kindInt, kindInt64, kindUint, kindUintptr:
		v, err := fr.mem.u64(data)
		if err != nil {
			return "", err
		}
		var s string
		switch kind {
		case kindBool:
			s = strconv.FormatBool(v&0xff != 0)
		case kindInt, kindInt64:
			s = strconv.FormatInt(int64(v), 10)
		default:
			s = strconv.FormatUint(v, 10)
		}
		if name == "bool" || name == "int" || name == "int64" || name == "uint" || name == "uintptr" {
			return s, nil
		}
		return name + "(" + s + ")", nil
	}
	// printanycustomtype: the type and the data word, a pointer.
	return fmt.Sprintf("(%s) %#x", name, data), nil
}

// stringAt reads the string whose header is at addr, cut at maxPanicText.
func (fr *fastReader) stringAt(addr uint64) (string, error) {
	var h [16]byte
	if err := fr.mem.read(h[:], addr); err != nil {
		return "", fmt.Errorf("string header at %#x: %w", addr, err)
	}
	p, n := binary.LittleEndian.Uint64(h[:]), binary.LittleEndian.Uint64(h[8:])
	b := make([]byte, min(n, maxPanicText))
	if len(b) > 0 {
		if err := fr.mem.read(b, p); err != nil {
			return "", fmt.Errorf("string at %#x: %w", p, err)
		}
	}
	return string(b), nil
}

// boundsFmts and boundsNegFmts mirror runtime.boundsErrorFmts and
// boundsNegErrorFmts (runtime/error.go), indexed by boundsError.code; the
// second are used when x is signed and negative.
var (
	boundsFmts = []string{
		"index out of range [%x] with length %y",
		"slice bounds out of range [:%x] with length %y",
		"slice bounds out of range [:%x] with capacity %y",
		"slice bounds out of range [%x:%y]",
		"slice bounds out of range [::%x] with length %y",
		"slice bounds out of range [::%x] with capacity %y",
		"slice bounds out of range [:%x:%y]",
		"slice bounds out of range [%x:%y:]",
		"cannot convert slice with length %y to array or pointer to array with length %x",
	}
	boundsNegFmts = []string{
		"index out of range [%x]",
		"slice bounds out of range [:%x]",
		"slice bounds out of range [:%x]",
		"slice bounds out of range [%x:]",
		"slice bounds out of range [::%x]",
		"slice bounds out of range [::%x]",
		"slice bounds out of range [:%x:]",
		"slice bounds out of range [%x::]",
	}
)

// boundsText is runtime.boundsError.Error for the value at addr.
func (fr *fastReader) boundsText(to *typeOffsets, addr uint64) (string, error) {
	var b [32]byte
	end := max(to.bx+8, to.by+8, to.bsigned+1, to.bcode+1)
	if end > int64(len(b)) {
		return "", fmt.Errorf("runtime.boundsError layout out of range")
	}
	if err := fr.mem.read(b[:end], addr); err != nil {
		return "", fmt.Errorf("runtime.boundsError at %#x: %w", addr, err)
	}
	x, y := int64(binary.LittleEndian.Uint64(b[to.bx:])), int64(binary.LittleEndian.Uint64(b[to.by:]))
	signed, code := b[to.bsigned] != 0, int(b[to.bcode])
	if code >= len(boundsFmts) {
		return "", fmt.Errorf("runtime.boundsError code %d unknown", code)
	}
	f := boundsFmts[code]
	if signed && x < 0 && code < len(boundsNegFmts) {
		f = boundsNegFmts[code]
	}
	out := []byte("runtime error: ")
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 == len(f) {
			out = append(out, f[i])
			continue
		}
		i++
		switch f[i] {
		case 'x':
			out = appendBoundsInt(out, x, signed)
		case 'y':
			out = appendBoundsInt(out, y, true)
		}
	}
	return string(out), nil
}

// appendBoundsInt is the runtime's appendIntStr.
func appendBoundsInt(b []byte, v int64, signed bool) []byte {
	if signed && v < 0 {
		return strconv.AppendInt(b, v, 10)
	}
	return strconv.AppendUint(b, uint64(v), 10)
}
