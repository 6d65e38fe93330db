package main

import (
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/coroner/coroner/bundle/goroutines"
)

// The census JSON of a million goroutines spent most of its time in
// encoding/json's reflection and re-indentation, once per goroutine. The
// appenders below write a goroutine, its frames and its fields as
// json.MarshalIndent writes them inside the census list (prefix
// goroutinePrefix, two-space indentation), byte for byte: the same field
// order, omitempty rules, map key order and string escaping. A test
// compares them with encoding/json on hostile strings and pins the
// struct's JSON fields, so a field added to Goroutine fails it until the
// appender writes it.

// goroutinePrefix is how far a goroutine of the census list is indented.
const goroutinePrefix = "    "

// appendGoroutineHead appends g's JSON up to and including `"frames": `,
// indented as a census list element.
func appendGoroutineHead(b []byte, g *goroutines.Goroutine) []byte {
	const field = "\n" + goroutinePrefix + "  "
	b = append(b, "{"+field+`"id": `...)
	b = strconv.AppendInt(b, g.ID, 10)
	b = append(b, ","+field+`"status": `...)
	b = appendJSONString(b, g.Status)
	if g.WaitReason != "" {
		b = append(b, ","+field+`"wait_reason": `...)
		b = appendJSONString(b, g.WaitReason)
	}
	b = append(b, ","+field+`"wait_minutes": `...)
	b = strconv.AppendInt(b, int64(g.WaitMinutes), 10)
	if g.WaitNanos != 0 {
		b = append(b, ","+field+`"wait_nanos": `...)
		b = strconv.AppendInt(b, g.WaitNanos, 10)
	}
	return append(b, ","+field+`"frames": `...)
}

// appendGoroutineTail appends g's JSON after its frames, to the closing
// brace.
func appendGoroutineTail(b []byte, g *goroutines.Goroutine) []byte {
	const field = ",\n" + goroutinePrefix + "  "
	if g.CreatedBy != nil {
		b = append(b, field+`"created_by": `...)
		b = appendFrameJSON(b, g.CreatedBy, goroutinePrefix+"  ")
	}
	if g.CreatorID != 0 {
		b = append(b, field+`"creator_id": `...)
		b = strconv.AppendInt(b, g.CreatorID, 10)
	}
	if len(g.Labels) > 0 {
		b = append(b, field+`"labels": {`...)
		keys := make([]string, 0, len(g.Labels))
		for k := range g.Labels {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, "\n"+goroutinePrefix+"    "...)
			b = appendJSONString(b, k)
			b = append(b, ": "...)
			b = appendJSONString(b, g.Labels[k])
		}
		b = append(b, "\n"+goroutinePrefix+"  }"...)
	}
	if g.System {
		b = append(b, field+`"system": true`...)
	}
	if g.LockAddr != 0 {
		b = append(b, field+`"lock_addr": `...)
		b = strconv.AppendUint(b, g.LockAddr, 10)
	}
	if len(g.HeldLocks) > 0 {
		b = append(b, field+`"held_locks": [`...)
		for i, a := range g.HeldLocks {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, "\n"+goroutinePrefix+"    "...)
			b = strconv.AppendUint(b, a, 10)
		}
		b = append(b, "\n"+goroutinePrefix+"  ]"...)
	}
	if g.Timer != nil {
		b = append(b, field+`"timer": {`...)
		if g.Timer.PeriodNanos != 0 {
			b = append(b, "\n"+goroutinePrefix+`    "period_nanos": `...)
			b = strconv.AppendInt(b, g.Timer.PeriodNanos, 10)
			b = append(b, "\n"+goroutinePrefix+"  "...)
		}
		b = append(b, '}')
	}
	if g.Semaphore {
		b = append(b, field+`"semaphore": true`...)
	}
	if g.Thread != 0 {
		b = append(b, field+`"thread": `...)
		b = strconv.AppendInt(b, int64(g.Thread), 10)
	}
	if g.Crashed {
		b = append(b, field+`"crashed": true`...)
	}
	b = append(b, field+`"count": `...)
	b = strconv.AppendInt(b, int64(g.Count), 10)
	return append(b, "\n"+goroutinePrefix+"}"...)
}

// appendFramesJSON appends a goroutine's frames list (null for nil),
// its elements indented one level below the goroutine's fields.
func appendFramesJSON(b []byte, fs []goroutines.Frame) []byte {
	switch {
	case fs == nil:
		return append(b, "null"...)
	case len(fs) == 0:
		return append(b, "[]"...)
	}
	b = append(b, '[')
	for i := range fs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n"+goroutinePrefix+"    "...)
		b = appendFrameJSON(b, &fs[i], goroutinePrefix+"    ")
	}
	return append(b, "\n"+goroutinePrefix+"  ]"...)
}

// appendFrameJSON appends frame f as an object whose closing brace is
// indented by indent, its fields two spaces further.
func appendFrameJSON(b []byte, f *goroutines.Frame, indent string) []byte {
	b = append(b, "{\n"...)
	b = append(b, indent...)
	b = append(b, `  "func": `...)
	b = appendJSONString(b, f.Func)
	field := func(name string) {
		b = append(b, ",\n"...)
		b = append(b, indent...)
		b = append(b, "  "...)
		b = append(b, name...)
	}
	if f.File != "" {
		field(`"file": `)
		b = appendJSONString(b, f.File)
	}
	if f.Line != 0 {
		field(`"line": `)
		b = strconv.AppendInt(b, int64(f.Line), 10)
	}
	if f.Inlined {
		field(`"inlined": true`)
	}
	b = append(b, '\n')
	b = append(b, indent...)
	return append(b, '}')
}

// appendJSONString appends s quoted as encoding/json quotes a string with
// HTML escaping on (its default): `"` and `\` backslashed; \b, \f, \n, \r,
// \t by name; other control bytes and <, >, & as \u00XX; invalid UTF-8 as
// \ufffd; U+2028 and U+2029 as \u2028 and \u2029.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
