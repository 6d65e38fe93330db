package export

import (
	"strings"

	"github.com/coroner/coroner/reports"
)

// unknownFrame stands for a frame without a name, as perf script and
// FlameGraph's stackcollapse scripts write it.
const unknownFrame = "[unknown]"

// frameName is a function name as every export shows it: control and
// invisible characters and invalid UTF-8 escaped as in the reports
// (reports.SafeText; a newline becomes the two characters \n).
func frameName(s string) string {
	if s == "" {
		return unknownFrame
	}
	return reports.SafeText(s)
}

// foldedFrame is a frame name fit for a folded stack: frameName, with
// ";" (the frame separator) replaced by ":" as FlameGraph's
// stackcollapse-perf.pl does. SafeText has already turned newlines into
// text, so a name cannot end the line either.
func foldedFrame(s string) string {
	return strings.ReplaceAll(frameName(s), ";", ":")
}
