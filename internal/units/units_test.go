package units

import (
	"math"
	"testing"
)

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		v    float64
		unit string
		want string
		ok   bool
	}{
		{2954483410, "ns", "2.954s", true},
		{12.3456, "ms", "12.346ms", true},
		{0.4321, "fraction", "43.21%", true},
		{0.05, "ratio", "5%", true},
		{5, "%", "5%", true},
		{412, "samples", "412 samples", true},
		{1, "cores", "1 core", true},
		{1.5, "cores", "1.50 cores", true},
		{42, "count", "42", true},
		{2.5, "1/s", "2.50/s", true},
		{1536, "bytes", "1.5 KiB", true},
		{7, "widgets", "7", false},
		{3, "wake-ups", "3 wake-ups", true},
		{1500, "nanoseconds", "1.5µs", true},
		{math.NaN(), "ns", "NaN", true},
	} {
		got, ok := Format(c.v, c.unit)
		if got != c.want || ok != c.ok {
			t.Errorf("Format(%v, %q) = %q, %v; want %q, %v", c.v, c.unit, got, ok, c.want, c.ok)
		}
	}
	if got := Share(1, 3); got != "33.3%" {
		t.Errorf("Share(1, 3) = %q", got)
	}
	if got := Share(1, 0); got != "?" {
		t.Errorf("Share(1, 0) = %q", got)
	}
}
