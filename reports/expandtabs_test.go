package reports

import "testing"

// TestExpandTabs: tabs stop every sourceTabWidth columns, counted in runes,
// and a line without a tab comes back as it is.
func TestExpandTabs(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"no tab", "no tab"},
		{"\tx", "    x"},
		{"ab\tc", "ab  c"},
		{"abcd\te", "abcd    e"},
		{"é\tx", "é   x"},        // one rune, two bytes
		{"\t\t", "        "},     // two full stops
		{"a\tb\tc", "a   b   c"}, // each tab from its own column
		{"\xff\tz", "\xff   z"},  // an invalid byte counts as one column
		{"trailing\t", "trailing    "},
	} {
		if got := expandTabs(tc.in); got != tc.want {
			t.Errorf("expandTabs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
