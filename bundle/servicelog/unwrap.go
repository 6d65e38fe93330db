package servicelog

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// record is what one raw line carries: the payload bytes, whether they end
// a payload line (false for a CRI "P" record or a Docker fragment), and
// the stream or process that wrote them ("" when the wrapper names none).
type record struct {
	payload []byte
	eol     bool
	source  string
	// none marks a raw line that carries no payload at all.
	none bool
}

// unwrapper turns raw lines of one format into records, reusing its
// buffer; a raw line that does not have the format's shape (a journalctl
// "-- Boot … --" marker, a line a log shipper inserted) is kept as it is.
type unwrapper struct {
	f   Format
	buf []byte
}

func (u *unwrapper) unwrap(line []byte) record {
	raw := record{payload: line, eol: true}
	switch u.f {
	case CRI:
		return cri(line, raw)
	case Docker:
		return u.docker(line, raw)
	case JournalJSON:
		return u.journal(line, raw)
	case Syslog:
		if m := reSyslog.FindIndex(line); m != nil {
			return record{payload: u.unescapeTabs(line[m[1]:]), eol: true, source: syslogSource(line[:m[1]])}
		}
	case RFC5424:
		return u.rfc5424(line, raw)
	case Kubectl:
		if m := reKubectl.FindIndex(line); m != nil {
			return record{payload: line[m[1]:], eol: true}
		}
	}
	return raw
}

// cri reads "TIMESTAMP STREAM TAG CONTENT" without a regular expression:
// it runs on every line of a log's tail.
func cri(line []byte, raw record) record {
	ts, rest, ok := bytes.Cut(line, []byte(" "))
	if !ok || len(ts) < len("2006-01-02T15:04:05Z") || ts[4] != '-' || ts[10] != 'T' {
		return raw
	}
	stream, rest, ok := bytes.Cut(rest, []byte(" "))
	src := ""
	switch {
	case !ok:
		return raw
	case bytes.Equal(stream, []byte("stderr")):
		src = "stderr"
	case bytes.Equal(stream, []byte("stdout")):
		src = "stdout"
	default:
		return raw
	}
	tag, content, _ := bytes.Cut(rest, []byte(" "))
	if len(tag) == 0 || tag[0] < 'A' || tag[0] > 'Z' {
		return raw
	}
	return record{payload: content, eol: !bytes.Contains(tag, []byte("P")), source: src}
}

// dockerLine is a json-file record (moby daemon/logger/jsonfilelog).
type dockerLine struct {
	Log    string `json:"log"`
	Stream string `json:"stream"`
}

// docker reads a json-file record. dockerd writes "log" first
// (jsonlog.JSONLogs.MarshalJSONBuf), so the common case is read without
// a full JSON decode; any other order goes through encoding/json.
func (u *unwrapper) docker(line []byte, raw record) record {
	const pre = `{"log":`
	if bytes.HasPrefix(line, []byte(pre)) {
		if s, rest, ok := u.jsonString(line[len(pre):]); ok {
			src := ""
			switch {
			case bytes.HasPrefix(rest, []byte(`,"stream":"stderr"`)):
				src = "stderr"
			case bytes.HasPrefix(rest, []byte(`,"stream":"stdout"`)):
				src = "stdout"
			}
			return dockerRecord(s, src)
		}
	}
	var d dockerLine
	if json.Unmarshal(line, &d) != nil {
		return raw
	}
	u.buf = append(u.buf[:0], d.Log...)
	return dockerRecord(u.buf, d.Stream)
}

// dockerRecord ends the payload line when "log" ends with a newline.
func dockerRecord(s []byte, src string) record {
	if n := len(s); n > 0 && s[n-1] == '\n' {
		return record{payload: bytes.TrimSuffix(s[:n-1], []byte("\r")), eol: true, source: src}
	}
	return record{payload: s, eol: false, source: src}
}

// jsonString reads the JSON string at the start of b, returning its value
// (in u.buf when it had escapes), the bytes after it, and whether it was
// a well-formed string (RFC 8259 7).
func (u *unwrapper) jsonString(b []byte) ([]byte, []byte, bool) {
	if len(b) == 0 || b[0] != '"' {
		return nil, nil, false
	}
	i := 1 + bytes.IndexAny(b[1:], `"\`)
	if i == 0 {
		return nil, nil, false
	}
	if b[i] == '"' {
		return b[1:i], b[i+1:], true
	}
	u.buf = append(u.buf[:0], b[1:i]...)
	for i < len(b) {
		if b[i] != '\\' {
			j := bytes.IndexAny(b[i:], `"\`)
			if j < 0 {
				return nil, nil, false
			}
			u.buf = append(u.buf, b[i:i+j]...)
			if i += j; b[i] == '"' {
				return u.buf, b[i+1:], true
			}
		}
		if i+1 >= len(b) {
			return nil, nil, false
		}
		i++
		switch e := b[i]; e {
		case '"', '\\', '/':
			u.buf = append(u.buf, e)
		case 'b':
			u.buf = append(u.buf, '\b')
		case 'f':
			u.buf = append(u.buf, '\f')
		case 'n':
			u.buf = append(u.buf, '\n')
		case 'r':
			u.buf = append(u.buf, '\r')
		case 't':
			u.buf = append(u.buf, '\t')
		case 'u':
			r, n, ok := jsonRune(b[i+1:])
			if !ok {
				return nil, nil, false
			}
			u.buf = utf8.AppendRune(u.buf, r)
			i += n
		default:
			return nil, nil, false
		}
		i++
	}
	return nil, nil, false
}

// jsonRune reads the four hex digits after "\\u", and a second "\\uXXXX"
// when the first is a UTF-16 high surrogate; n is the bytes consumed.
func jsonRune(b []byte) (rune, int, bool) {
	r, ok := hex4(b)
	if !ok {
		return 0, 0, false
	}
	if utf16.IsSurrogate(r) && len(b) >= 10 && b[4] == '\\' && b[5] == 'u' {
		if r2, ok := hex4(b[6:]); ok {
			if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
				return d, 10, true
			}
		}
	}
	return r, 4, true
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	// ParseUint with base 16 takes hex digits only: no sign, prefix or underscores.
	v, err := strconv.ParseUint(string(b[:4]), 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(v), true
}

// journalEntry holds the fields of a `journalctl -o json` entry read here.
type journalEntry struct {
	Message    json.RawMessage `json:"MESSAGE"`
	PID        string          `json:"_PID"`
	Identifier string          `json:"SYSLOG_IDENTIFIER"`
}

// journal reads MESSAGE as a string or a byte array; an entry without one
// (null: longer than journalctl's limit) carries no payload.
func (u *unwrapper) journal(line []byte, raw record) record {
	var e journalEntry
	if json.Unmarshal(line, &e) != nil {
		return raw
	}
	return u.journalValue(e, raw)
}

// journalValue reads an entry's MESSAGE value.
func (u *unwrapper) journalValue(e journalEntry, raw record) record {
	src := e.Identifier + "[" + e.PID + "]"
	switch {
	case len(e.Message) > 0 && e.Message[0] == '"':
		var s string
		if json.Unmarshal(e.Message, &s) != nil {
			return record{none: true}
		}
		u.buf = append(u.buf[:0], s...)
	case len(e.Message) > 0 && e.Message[0] == '[':
		// journalctl writes the bytes as an array of numbers, which
		// encoding/json reads into []int, not []byte (base64); a field
		// given several values in one entry is an array of them, of which
		// the last is kept.
		var ns []int
		if json.Unmarshal(e.Message, &ns) != nil {
			var vs []json.RawMessage
			if json.Unmarshal(e.Message, &vs) != nil || len(vs) == 0 || len(vs[len(vs)-1]) == 0 || vs[len(vs)-1][0] == '[' {
				return record{none: true}
			}
			e.Message = vs[len(vs)-1]
			return u.journalValue(e, raw)
		}
		u.buf = u.buf[:0]
		for _, n := range ns {
			u.buf = append(u.buf, byte(n))
		}
	default:
		return record{none: true}
	}
	return record{payload: bytes.TrimSuffix(u.buf, []byte("\n")), eol: true, source: src}
}

// syslogSource is "TAG[PID]" from a syslog header, naming the process.
func syslogSource(hdr []byte) string {
	hdr = bytes.TrimRight(hdr, ": ")
	if i := bytes.LastIndexByte(hdr, ' '); i >= 0 {
		hdr = hdr[i+1:]
	}
	return string(hdr)
}

// unescapeTabs turns rsyslog's "#011" back into a tab; rsyslog escapes
// control characters on receipt as '#' and three octal digits, and a
// traceback's file lines begin with one.
func (u *unwrapper) unescapeTabs(b []byte) []byte {
	if !bytes.Contains(b, []byte("#011")) {
		return b
	}
	u.buf = append(u.buf[:0], bytes.ReplaceAll(b, []byte("#011"), []byte("\t"))...)
	return u.buf
}

// rfc5424 reads "<PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID
// STRUCTURED-DATA [MSG]" (RFC 5424 6): SD is "-" or bracketed elements
// whose quoted values escape '"', '\' and ']' with a backslash (6.3.3);
// MSG may begin with a UTF-8 BOM (6.4).
func (u *unwrapper) rfc5424(line []byte, raw record) record {
	m := reRFC5424.FindIndex(line)
	if m == nil {
		return raw
	}
	f := bytes.Fields(line[:m[1]])
	src := string(f[3]) + "[" + string(f[4]) + "]"
	rest := line[m[1]:]
	switch {
	case bytes.HasPrefix(rest, []byte("-")):
		rest = rest[1:]
	case bytes.HasPrefix(rest, []byte("[")):
		rest = rest[sdEnd(rest):]
	default:
		return raw
	}
	rest = bytes.TrimPrefix(rest, []byte(" "))
	rest = bytes.TrimPrefix(rest, []byte("\xef\xbb\xbf"))
	return record{payload: u.unescapeTabs(rest), eol: true, source: src}
}

// sdEnd returns the length of the structured-data elements opening b.
func sdEnd(b []byte) int {
	inQuote := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case c == ']' && !inQuote && (i+1 == len(b) || b[i+1] != '['):
			return i + 1
		}
	}
	return len(b)
}
