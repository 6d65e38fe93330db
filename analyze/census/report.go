package census

import (
	"fmt"
	"strings"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/bundle/gocore"
	"github.com/coroner/coroner/bundle/goroutines"
)

// reportStacks is how many of the largest groups the census finding shows.
const reportStacks = 5

// report emits the census finding and the findings about sources that
// could not be used fully.
func report(pass *analyze.Pass, r *Result) {
	c := r.Census
	s := r.Summary
	ev := []analyze.Evidence{
		{Metric: "goroutines", Value: float64(s.Total), Unit: "goroutines", Artifact: c.Source},
		{Metric: "user_goroutines", Value: float64(s.User), Unit: "goroutines", Artifact: c.Source},
		{Metric: "system_goroutines", Value: float64(s.System), Unit: "goroutines", Artifact: c.Source},
		{Metric: "groups", Value: float64(len(r.Groups)), Unit: "stacks", Artifact: c.Source},
	}
	if c.Reader != "" || c.GoVersion != "" {
		ev = append(ev, analyze.Evidence{Metric: "reader", Artifact: c.Source,
			Text: strings.TrimSpace(fmt.Sprintf("%s; program built with %s", c.Reader, orUnknown(c.GoVersion)))})
	}
	var stacks []analyze.Stack
	for i, g := range r.Groups {
		if i == reportStacks {
			break
		}
		stacks = append(stacks, analyze.Stack{Title: groupTitle(g), Count: int64(g.Count), Unit: "goroutines", Frames: FrameStrings(g.Frames)})
	}
	pass.Report(analyze.Finding{
		ID:         "goroutines/census",
		Title:      fmt.Sprintf("%d goroutines (%d user, %d system) in %d groups, from %s", s.Total, s.User, s.System, len(r.Groups), describe(c)),
		Severity:   analyze.Info,
		Confidence: 1,
		Summary:    statusLine(s),
		Evidence:   ev,
		Stacks:     stacks,
	})
	for _, other := range r.All {
		if !other.Complete {
			pass.Report(analyze.Finding{
				ID:         "goroutines/incomplete-" + analyze.Slug(other.Source),
				Title:      fmt.Sprintf("goroutine source %s is incomplete", other.Source),
				Severity:   analyze.Warning,
				Confidence: 1,
				Summary:    strings.Join(other.Warnings, "; ") + fmt.Sprintf(" — the census uses %s", describe(c)),
				Remedy:     "Capture goroutine?debug=1 or the binary goroutine profile (never cut), or a core, alongside debug=2.",
			})
		}
	}
	reportCoreNotes(pass, r)
	for core, msg := range r.CoreErrors {
		pass.Report(analyze.Finding{
			ID:         "goroutines/core-" + analyze.Slug(core),
			Title:      fmt.Sprintf("no goroutine census from core %s", core),
			Severity:   analyze.Warning,
			Confidence: 1,
			Summary:    msg + fmt.Sprintf(" (delve %s reads Go versions in its support window)", gocore.DelveVersion()),
			Remedy:     "Archive the exact unstripped binary that produced the core; the census falls back to text goroutine dumps.",
		})
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown Go version"
	}
	return s
}

// describe names a census's source and format.
func describe(c *goroutines.Census) string {
	s := fmt.Sprintf("%s (%s", c.Source, c.Format)
	if !c.Complete {
		s += ", incomplete"
	}
	return s + ")"
}

// statusLine summarizes states: "running 2, runnable 1, waiting 40 (chan receive 30, …)".
func statusLine(s goroutines.Summary) string {
	var parts []string
	for _, k := range sortedKeys(s.Status) {
		parts = append(parts, fmt.Sprintf("%s %d", k, s.Status[k]))
	}
	var waits []string
	for _, k := range sortedKeys(s.Wait) {
		waits = append(waits, fmt.Sprintf("%s %d", k, s.Wait[k]))
	}
	line := strings.Join(parts, ", ")
	if len(waits) > 0 {
		line += " — waiting on: " + strings.Join(waits, ", ")
	}
	return line
}

func groupTitle(g goroutines.Bucket) string {
	t := g.Status
	if g.WaitReason != "" {
		t = g.WaitReason
	}
	if g.MaxWait > 0 {
		t += fmt.Sprintf(", up to %d minutes", g.MaxWait)
	}
	if top := goroutines.TopUserFrame(g.Frames); top != nil {
		t += " in " + top.Func
	}
	return fmt.Sprintf("%d × %s", g.Count, t)
}
