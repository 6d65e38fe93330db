// Package hostile holds the strings tests feed every output: inputs that
// try to break out of every output context — HTML text and attributes,
// script data, Markdown code spans, fences and tables, autolinks,
// mentions, terminals and bidirectional text.
package hostile

// Strings is the hostile payload shared by the report and incident-browser
// tests.
var Strings = []string{
	"<script>alert(1)</script>",
	`"><img src=x onerror=alert(2)>`,
	"``` ```` `` ` tick",
	"a|b||c \\| d",
	"@all and @here",
	"[x](javascript:alert(3))",
	"evil\u202egnp.exe\u2066x\u2069 \u200f",
	"\x1b[31mred\x1b]0;title\x07",
	"</script><script>alert(4)</script>",
	"line\u2028sep\u2029para",
	"<!-- c --> <details open><summary>evil</summary>",
	"https://evil.example/steal?x=1 www.evil.example",
	"![img](https://evil.example/p.png)",
	"*emph* _u_ # heading\n---\n| x |",
	"`",
	" ` ",
	"&amp; &lt; &#x3c;",
	"{{.}} ${7*7} <%= x %>",
}
