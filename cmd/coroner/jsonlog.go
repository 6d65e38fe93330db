package main

import (
	"encoding/json"
	"io"
	"strings"
)

// writeJSONLine writes one JSON object on a line to w, its keys in the
// order given (key, value pairs). Each value is encoded by encoding/json,
// so control bytes and invalid UTF-8 from input names stay valid JSON for
// a bot reading stderr (invalid bytes become U+FFFD).
func writeJSONLine(w io.Writer, kv ...any) {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv[i])
		v, err := json.Marshal(kv[i+1])
		if err != nil {
			v, _ = json.Marshal(err.Error())
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteString("}\n")
	io.WriteString(w, b.String())
}
