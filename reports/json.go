package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/coroner/coroner/analyze"
)

// RenderJSON writes the result as indented JSON that follows
// schema/result.schema.json. Strings keep their exact bytes (HTML-special
// characters and U+2028/U+2029 are \u-escaped, which decodes to the same
// text); lists the schema requires are written as [] rather than null, and
// schema_version is filled in when the result left it zero.
//
// The document is indented for people, except the flame tree, which is
// written on one line as the last field: indenting a call tree 100 levels
// deep would multiply its size by ten.
func RenderJSON(w io.Writer, r *analyze.Result, _ Options) error {
	n := normalized(r)
	flame := n.Flame
	n.Flame = nil
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(n); err != nil {
		return fmt.Errorf("encoding JSON result: %w", err)
	}
	if flame == nil {
		_, err := w.Write(buf.Bytes())
		return err
	}
	// buf ends with "\n}\n": the flame field goes before the brace.
	body := bytes.TrimSuffix(buf.Bytes(), []byte("\n}\n"))
	if _, err := w.Write(body); err != nil {
		return err
	}
	if _, err := io.WriteString(w, ",\n  \"flame\": "); err != nil {
		return err
	}
	// Encode writes the tree and a newline.
	if err := json.NewEncoder(w).Encode(flame); err != nil {
		return fmt.Errorf("encoding JSON flame tree: %w", err)
	}
	_, err := io.WriteString(w, "}\n")
	return err
}

// normalized returns a shallow copy of r with the schema's required lists
// non-nil and the schema version set.
func normalized(r *analyze.Result) *analyze.Result {
	n := *r
	if n.SchemaVersion == 0 {
		n.SchemaVersion = analyze.SchemaVersion
	}
	if n.Findings == nil {
		n.Findings = []analyze.Finding{}
	}
	if n.Inventory == nil {
		n.Inventory = []analyze.Item{}
	}
	if n.Analyzers == nil {
		n.Analyzers = []analyze.Run{}
	}
	fixed := false
	for i, f := range n.Findings {
		if needsFrames(f.Stacks) {
			if !fixed {
				n.Findings = append([]analyze.Finding(nil), n.Findings...)
				fixed = true
			}
			st := append([]analyze.Stack(nil), f.Stacks...)
			for j := range st {
				if st[j].Frames == nil {
					st[j].Frames = []string{}
				}
			}
			n.Findings[i].Stacks = st
		}
	}
	if groupsNeedFrames(n.Goroutines) {
		gs := append([]analyze.Group(nil), n.Goroutines...)
		for i := range gs {
			if gs[i].Frames == nil {
				gs[i].Frames = []string{}
			}
		}
		n.Goroutines = gs
	}
	return &n
}

func needsFrames(st []analyze.Stack) bool {
	for _, s := range st {
		if s.Frames == nil {
			return true
		}
	}
	return false
}

func groupsNeedFrames(gs []analyze.Group) bool {
	for _, g := range gs {
		if g.Frames == nil {
			return true
		}
	}
	return false
}
