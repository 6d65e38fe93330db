package reports

import "testing"

func TestMDText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Initialize the map (make) before writing to it.", "Initialize the map (make) before writing to it."},
		{"main.(*store).lookup", `main.(\*store).lookup`},
		{"ping @oncall or a@b.example", "ping ＠oncall or a＠b.example"},
		{"panic @ main.f", "panic @ main.f"},
		{"see https://x.example and www.x.example", `see https\://x.example and www\.x.example`},
		{"[x](y) ![i](j) <b> &amp; a|b", `\[x\](y) \!\[i\](j) \<b\> \&amp; a\|b`},
		{"- not a list", `\- not a list`},
		{"12. not a list", `12\. not a list`},
		{"  padded  ", "padded"},
		{"line\nbreak", `line\\nbreak`},
		{"$x$ ~y~ _z_ #1", `\$x\$ \~y\~ \_z\_ \#1`},
	} {
		if got := mdText(c.in); got != c.want {
			t.Errorf("mdText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
