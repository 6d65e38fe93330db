// Package units renders a measured figure with its unit the one way every
// coroner output shows it: durations humanized ("12.3ms"), 0–1 shares and
// percentages as percentages ("43.2%"), sizes in binary units ("1.5 MiB"),
// rates per second, and counts of a named thing with their noun ("412
// samples"). The JSON result keeps the raw number and its unit; this is
// what people read.
package units

import (
	"math"
	"strconv"
	"time"
)

// known are the units Format renders itself; any other unit is not
// recognized and the caller shows it as untrusted text.
var known = map[string]bool{
	"": true, "ns": true, "%": true, "ratio": true, "fraction": true, "bytes": true, "samples": true,
	"goroutines": true, "count": true, "minutes": true, "seconds": true, "s": true,
	"ms": true, "cycles": true, "events": true, "Hz": true, "bytes/s": true, "1/s": true,
	"cores": true, "stacks": true, "frames": true, "threads": true,
	"contentions": true, "locks": true, "wake-ups": true, "nanoseconds": true,
}

// Known reports whether Format renders unit itself.
func Known(unit string) bool { return known[unit] }

// Value renders v in its unit without a trailing noun: durations for
// "ns", "ms", "s" and "seconds", percentages for "%" and for the 0..1
// shares "ratio" and "fraction", rates for "1/s", sizes for "bytes".
// Other units give the bare number.
func Value(v float64, unit string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	switch unit {
	case "ns", "nanoseconds":
		return Duration(time.Duration(v))
	case "ms":
		return Duration(time.Duration(v * float64(time.Millisecond)))
	case "s", "seconds":
		return Duration(time.Duration(v * float64(time.Second)))
	case "%":
		return Number(v) + "%"
	case "ratio", "fraction":
		return Number(v*100) + "%"
	case "1/s":
		return Number(v) + "/s"
	case "bytes":
		return Bytes(v)
	case "bytes/s":
		return Bytes(v) + "/s"
	}
	return Number(v)
}

// Format renders v with its unit: Value, followed by the unit as a noun
// for counts of a named thing ("412 samples", "3 goroutines", "1.50
// cores"). ok is false when the unit is not a known one; the caller then
// shows the unit itself as untrusted text after the number.
func Format(v float64, unit string) (s string, ok bool) {
	s = Value(v, unit)
	switch unit {
	case "", "count", "ns", "nanoseconds", "ms", "s", "seconds", "%", "ratio", "fraction", "1/s", "bytes", "bytes/s":
		return s, true
	}
	if known[unit] {
		if v == 1 && len(unit) > 1 && unit[len(unit)-1] == 's' {
			unit = unit[:len(unit)-1] // "1 core", "1 sample"
		}
		return s + " " + unit, true
	}
	return s, false
}

// Number prints v with up to three significant decimals, no exponent for
// everyday magnitudes.
func Number(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	a := math.Abs(v)
	switch {
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case a >= 0.001:
		return strconv.FormatFloat(v, 'f', 4, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// Duration rounds d to about three significant figures.
func Duration(d time.Duration) string {
	a := d
	if a < 0 {
		a = -a
	}
	switch {
	case a >= time.Second:
		return d.Round(time.Millisecond).String()
	case a >= time.Millisecond:
		return d.Round(time.Microsecond).String()
	case a >= time.Microsecond:
		return d.Round(time.Nanosecond * 10).String()
	}
	return d.String()
}

// Bytes prints a size in binary units.
func Bytes(v float64) string {
	names := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for math.Abs(v) >= 1024 && i < len(names)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return Number(v) + " B"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + names[i]
}

// Share renders part/total as a percentage with one decimal, "?" when
// the total is not positive.
func Share(part, total int64) string {
	if total <= 0 {
		return "?"
	}
	return strconv.FormatFloat(float64(part)*100/float64(total), 'f', 1, 64) + "%"
}
