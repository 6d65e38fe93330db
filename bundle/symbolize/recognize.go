package symbolize

import (
	"regexp"

	"github.com/coroner/coroner/bundle/texthead"
)

// reKallsymsLine is a line of /proc/kallsyms (kernel/kallsyms.c s_show):
// "ffffffff81000000 T _text", a module's symbols followed by "\t[module]".
var reKallsymsLine = regexp.MustCompile(`^[0-9a-f]{8,16} [A-Za-z?] \S+(\t\[\S+\])?$`)

// RecognizeKallsyms is the sniffing row of kallsyms snapshots: every line
// of the head is a kallsyms line.
func RecognizeKallsyms(h *texthead.Head) (bool, map[string]string) {
	return texthead.AllLines(h, reKallsymsLine.Match), nil
}
