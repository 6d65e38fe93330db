package reports

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/coroner/coroner/analyze"
)

// Limits on what the Markdown report lists; the JSON and HTML reports hold
// the rest, and the report says what it left out.
const (
	// mdTopFrames is how many hottest functions the CPU section lists: ten
	// is what `go tool pprof -top` shows by default per screen.
	mdTopFrames = 10
	// mdGroups is how many goroutine groups the report shows with stacks.
	mdGroups = 10
	// mdGroupFrames caps the frames shown per goroutine group; deeper
	// frames are rarely the ones that explain a wait.
	mdGroupFrames = 24
	// mdStackFrames caps the frames shown per finding stack.
	mdStackFrames = 40
)

// mdSection is one piece of the Markdown report. Sections are written in
// order; when the report must fit MaxBytes the least important (highest
// prio) go first, and the report says which were cut.
type mdSection struct {
	text  string
	prio  int  // lower is more important
	keep  bool // never cut
	label string
}

// Priorities of the Markdown sections (lower is more important).
const (
	prioTable     = 10
	prioPrimary   = 20
	prioFinding   = 30 // + finding index
	prioPrimStack = 200
	prioStack     = 210 // + finding index
	prioCPU       = 400
	prioPauses    = 410
	prioInventory = 420
	prioGroups    = 430
	prioAnalyzers = 440
	prioWarnings  = 450
)

// RenderMarkdown writes the Markdown report: the verdict first, then the
// findings table, the evidence per finding, hot functions, GC pauses,
// inventory, goroutine groups and analyzer runs. coroner's own words are
// prose; strings from the inputs are escaped prose (mdText), except code
// (functions, stacks) and paths, which are code spans or fenced blocks
// they cannot break out of; identifiers (finding IDs, signatures, hashes)
// are code spans too, so they can be copied whole.
func RenderMarkdown(w io.Writer, r *analyze.Result, o Options) error {
	secs := markdownSections(r)
	text, err := fitSections(secs, o.MaxBytes)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, text)
	return err
}

func markdownSections(r *analyze.Result) []mdSection {
	var secs []mdSection
	add := func(prio int, keep bool, label, text string) {
		secs = append(secs, mdSection{text: text, prio: prio, keep: keep, label: label})
	}
	add(0, true, "verdict", mdHeader(r))
	if len(r.Findings) > 0 {
		add(prioTable, false, "findings table", mdFindingsTable(r))
	}
	prim := primaryIndex(r)
	for i, f := range r.Findings {
		p := prioFinding + i
		if i == prim {
			p = prioPrimary
		}
		add(p, false, fmt.Sprintf("evidence of finding %d", i+1), mdFinding(i, f))
		if len(f.Stacks) > 0 {
			sp := prioStack + i
			if i == prim {
				sp = prioPrimStack
			}
			add(sp, false, fmt.Sprintf("stacks of finding %d", i+1), mdStacks(f.Stacks))
		}
	}
	if r.Source != nil {
		add(prioSource, false, "source", mdSource(r))
	}
	if r.Flame != nil && r.Flame.Value > 0 {
		add(prioCPU, false, "hot functions", mdCPU(r.Flame, r.FlameUnit))
	}
	if len(r.Pauses) > 0 {
		add(prioPauses, false, "GC pauses", mdPauses(r.Pauses))
	}
	if len(r.Inventory) > 0 {
		add(prioInventory, false, "inventory", mdInventory(r.Inventory))
	}
	if len(r.Goroutines) > 0 {
		add(prioGroups, false, "goroutine groups", mdGroupsSection(r.Goroutines))
	}
	if len(r.Analyzers) > 0 {
		add(prioAnalyzers, false, "analyzer runs", mdAnalyzers(r.Analyzers))
	}
	if len(r.Warnings) > 0 {
		add(prioWarnings, false, "warnings", mdWarnings(r.Warnings))
	}
	add(0, true, "footer", mdFooter(r))
	return secs
}

// fitSections joins the sections, cutting the least important ones until
// the text fits max bytes (0 = no limit), and notes what was cut right
// after the verdict.
func fitSections(secs []mdSection, max int) (string, error) {
	full := 0
	for _, s := range secs {
		full += len(s.text)
	}
	drop := map[int]bool{}
	dropped := 0 // bytes of the dropped sections
	size := func() int {
		n := full - dropped
		if len(drop) > 0 {
			n += len(cutNote(secs, drop, max))
		}
		return n
	}
	if max > 0 && full > max {
		// Candidates from least to most important; among equals, later first.
		order := make([]int, 0, len(secs))
		for i, s := range secs {
			if !s.keep {
				order = append(order, i)
			}
		}
		slices.SortStableFunc(order, func(a, b int) int {
			if secs[a].prio != secs[b].prio {
				return secs[b].prio - secs[a].prio
			}
			return b - a
		})
		for _, i := range order {
			drop[i] = true
			dropped += len(secs[i].text)
			if size() <= max {
				break
			}
		}
		if size() > max {
			return "", fmt.Errorf("markdown report: --max-bytes %d is too small even for the verdict (needs %d bytes)", max, size())
		}
		// Put back what fits, most important first.
		for k := len(order) - 1; k >= 0; k-- {
			i := order[k]
			if !drop[i] {
				continue
			}
			delete(drop, i)
			dropped -= len(secs[i].text)
			if len(drop) == 0 || size() > max {
				drop[i] = true
				dropped += len(secs[i].text)
			}
		}
	}
	var b strings.Builder
	b.Grow(size())
	for i, s := range secs {
		if !drop[i] {
			b.WriteString(s.text)
		}
		if i == 0 && len(drop) > 0 {
			b.WriteString(cutNote(secs, drop, max))
		}
	}
	return b.String(), nil
}

// cutNote says what fitSections left out.
func cutNote(secs []mdSection, drop map[int]bool, max int) string {
	var labels []string
	for i, s := range secs {
		if drop[i] {
			labels = append(labels, s.label)
		}
	}
	return fmt.Sprintf("> **Cut to fit %d bytes:** %s. The JSON and HTML reports hold everything.\n\n",
		max, strings.Join(labels, ", "))
}

func mdHeader(r *analyze.Result) string {
	var b strings.Builder
	b.WriteString("# coroner report")
	if r.Incident.ID != "" {
		b.WriteString(": " + mdCode(r.Incident.ID))
	}
	b.WriteString("\n\n")
	v := r.Verdict
	fmt.Fprintf(&b, "## Verdict: %s — %s, confidence %s\n\n", mdText(orDash(v.Cause)), v.Severity, formatPercent(v.Confidence))
	if v.Headline != "" {
		b.WriteString(mdText(v.Headline) + "\n\n")
	}
	if v.Culprit != nil {
		fmt.Fprintf(&b, "- **Culprit:** %s\n", mdCulprit(v.Culprit))
	}
	if v.FindingID != "" {
		fmt.Fprintf(&b, "- **Primary finding:** %s\n", mdCode(v.FindingID))
	}
	if len(v.Secondary) > 0 {
		ids := make([]string, len(v.Secondary))
		for i, s := range v.Secondary {
			ids[i] = mdCode(s)
		}
		fmt.Fprintf(&b, "- **Contributing:** %s\n", strings.Join(ids, ", "))
	}
	if v.Signature != "" {
		fmt.Fprintf(&b, "- **Signature:** %s (algorithm v%d)\n", mdCode(v.Signature), v.SignatureVersion)
	}
	if i := primaryIndex(r); i >= 0 && r.Findings[i].Remedy != "" {
		fmt.Fprintf(&b, "- **Remedy:** %s\n", mdText(r.Findings[i].Remedy))
	}
	if len(v.Chain) > 0 {
		b.WriteString("\n**Evidence chain:**\n\n")
		for i, c := range v.Chain[:min(len(v.Chain), chainShown)] {
			fmt.Fprintf(&b, "%d. %s\n", i+1, mdText(c))
		}
		if len(v.Chain) > chainShown {
			fmt.Fprintf(&b, "\n<details><summary>%d more links</summary>\n\n", len(v.Chain)-chainShown)
			for i, c := range v.Chain[chainShown:] {
				fmt.Fprintf(&b, "%d. %s\n", chainShown+i+1, mdText(c))
			}
			b.WriteString("\n</details>\n")
		}
	}
	b.WriteString("\n")
	inc := r.Incident
	var facts []string
	if inc.Title != "" {
		facts = append(facts, "title "+mdText(inc.Title))
	}
	if !inc.Time.IsZero() {
		facts = append(facts, "time "+inc.Time.UTC().Format(time.RFC3339))
	}
	for _, k := range sortedKeys(inc.Labels) {
		facts = append(facts, "label "+mdText(k+"="+inc.Labels[k]))
	}
	if len(facts) > 0 {
		b.WriteString("Incident: " + strings.Join(facts, " · ") + "\n\n")
	}
	return b.String()
}

func mdFindingsTable(r *analyze.Result) string {
	var b strings.Builder
	b.WriteString("## Findings\n\n| # | Severity | Confidence | Cause | Finding | Culprit |\n|---:|---|---:|---|---|---|\n")
	for i, f := range r.Findings {
		culprit := ""
		if f.Culprit != nil {
			culprit = mdCellCulprit(f.Culprit)
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s |\n", i+1, f.Severity, formatPercent(f.Confidence),
			mdText(f.Cause), mdText(f.Title), culprit)
	}
	b.WriteString("\n")
	return b.String()
}

func mdFinding(i int, f analyze.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %d. %s\n\n", i+1, mdText(orDash(f.Title)))
	fmt.Fprintf(&b, "%s · %s · confidence %s", mdCode(orDash(f.ID)), f.Severity, formatPercent(f.Confidence))
	if f.Impact > 0 {
		b.WriteString(" · impact " + formatPercent(f.Impact))
	}
	b.WriteString(" · analyzer " + mdText(orDash(f.Analyzer)))
	if f.Version != "" {
		b.WriteString(" version " + mdText(f.Version))
	}
	b.WriteString("\n\n")
	if f.Culprit != nil {
		fmt.Fprintf(&b, "**Culprit:** %s\n\n", mdCulprit(f.Culprit))
	}
	if f.Signature != "" {
		fmt.Fprintf(&b, "**Signature:** %s\n\n", mdCode(f.Signature))
	}
	if f.Summary != "" {
		b.WriteString(mdText(f.Summary) + "\n\n")
	}
	if len(f.Evidence) > 0 {
		b.WriteString("| Metric | Value | Threshold | Source artifact | Note |\n|---|---:|---:|---|---|\n")
		for _, e := range f.Evidence {
			val, thr := evidenceCells(e, mdValue, mdText)
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdText(e.Metric), val, thr, mdCell(e.Artifact), mdText(e.Note))
		}
		b.WriteString("\n")
	}
	if f.Remedy != "" {
		fmt.Fprintf(&b, "**Remedy:** %s\n\n", mdText(f.Remedy))
	}
	return b.String()
}

// mdValue formats a figure for a table cell, showing an unknown unit as
// untrusted text.
func mdValue(v float64, unit string) string {
	s, ok := formatValueUnit(v, unit)
	if !ok {
		return s + " " + mdText(unit)
	}
	return s
}

func mdStacks(stacks []analyze.Stack) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<details><summary>Stacks (%d)</summary>\n\n", len(stacks))
	for _, s := range stacks {
		b.WriteString("**Stack:** " + mdText(orDash(s.Title)))
		if s.Count > 0 {
			b.WriteString(" — " + mdValue(float64(s.Count), s.Unit))
		}
		b.WriteString("\n\n")
		b.WriteString(mdFence(capFrames(s.Frames, mdStackFrames)))
		b.WriteString("\n")
	}
	b.WriteString("</details>\n\n")
	return b.String()
}

// capFrames keeps the first n frames and says how many more there were.
func capFrames(frames []string, n int) []string {
	if len(frames) <= n {
		return frames
	}
	out := slices.Clone(frames[:n])
	return append(out, fmt.Sprintf("… %d more frames", len(frames)-n))
}

func mdCPU(root *analyze.FlameNode, unit string) string {
	top, total := topFrames(root, mdTopFrames)
	var b strings.Builder
	fmt.Fprintf(&b, "## Hot functions\n\nSelf time in the merged CPU profile (%s in total).\n\n", flameAmount(total, unit))
	b.WriteString("| Function | Self | Self % | Cumulative % |\n|---|---:|---:|---:|\n")
	for _, t := range top {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdCell(t.Name), flameAmount(t.Self, unit), share(t.Self, total), share(t.Total, total))
	}
	b.WriteString("\n")
	return b.String()
}

func mdPauses(ps []analyze.Pause) string {
	var b strings.Builder
	b.WriteString("## GC and stop-the-world pauses\n\n| Kind | Pauses | Total | Max | p50 | p99 | Sources |\n|---|---:|---:|---:|---:|---:|---|\n")
	for _, s := range pauseStats(ps) {
		src := make([]string, len(s.Sources))
		for i, x := range s.Sources {
			src[i] = mdCell(x)
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s |\n", mdText(s.Kind), s.Count, formatDuration(s.Total),
			formatDuration(s.Max), formatDuration(s.P50), formatDuration(s.P99), strings.Join(src, " "))
	}
	b.WriteString("\n")
	return b.String()
}

func mdInventory(items []analyze.Item) string {
	var b strings.Builder
	b.WriteString("## Inventory\n\n| Artifact | Kind | Size | Build ID | SHA-256 |\n|---|---|---:|---|---|\n")
	for _, it := range items {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdCell(it.Path), mdText(it.Kind), formatBytes(float64(it.Size)),
			mdCell(it.BuildID), mdCell(shortHash(it.SHA256)))
	}
	b.WriteString("\n")
	return b.String()
}

// shortHash shortens a hex digest to 16 characters, enough to tell
// artifacts apart by eye; the JSON report keeps it whole.
func shortHash(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}

func mdGroupsSection(gs []analyze.Group) string {
	var b strings.Builder
	total := 0
	for _, g := range gs {
		total += g.Count
	}
	fmt.Fprintf(&b, "## Goroutine groups\n\n%d goroutines in %d groups of identical stacks", total, len(gs))
	if len(gs) > mdGroups {
		fmt.Fprintf(&b, "; the %d largest are shown", mdGroups)
	}
	b.WriteString(".\n\n| Goroutines | Status | Wait reason | Max wait | Where |\n|---:|---|---|---:|---|\n")
	shown := gs[:min(len(gs), mdGroups)]
	for _, g := range shown {
		top := telling(g.Frames)
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s |\n", g.Count, mdText(g.Status), mdText(g.WaitReason), waitMinutes(g.MaxWaitMin), mdCell(top))
	}
	b.WriteString("\n<details><summary>Group stacks</summary>\n\n")
	for i, g := range shown {
		fmt.Fprintf(&b, "**Group %d** — %d goroutines\n\n", i+1, g.Count)
		frames := capFrames(g.Frames, mdGroupFrames)
		if g.CreatedBy != "" {
			frames = append(slices.Clone(frames), "created by "+g.CreatedBy)
		}
		b.WriteString(mdFence(frames))
		b.WriteString("\n")
	}
	b.WriteString("</details>\n\n")
	return b.String()
}

func waitMinutes(m int) string {
	if m <= 0 {
		return ""
	}
	return fmt.Sprintf("%d min", m)
}

func mdAnalyzers(runs []analyze.Run) string {
	var b strings.Builder
	b.WriteString("## Analyzer runs\n\n| Analyzer | Version | Status | Used | Error |\n|---|---|---|---|---|\n")
	for _, a := range runs {
		used := make([]string, len(a.Used))
		for i, u := range a.Used {
			used[i] = mdCell(u)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdText(a.Name), mdText(a.Version), mdText(a.Status), strings.Join(used, " "), mdText(a.Error))
	}
	b.WriteString("\n")
	return b.String()
}

func mdWarnings(ws []string) string {
	var b strings.Builder
	b.WriteString("## Warnings\n\n")
	for _, w := range ws {
		b.WriteString("- " + mdText(w) + "\n")
	}
	b.WriteString("\n")
	return b.String()
}

func mdFooter(r *analyze.Result) string {
	var parts []string
	if r.Tool != "" {
		parts = append(parts, "tool "+mdText(r.Tool))
	}
	parts = append(parts, fmt.Sprintf("schema v%d", r.SchemaVersion))
	if r.Incident.ArchiveDigest != "" {
		parts = append(parts, "archive "+mdCode(r.Incident.ArchiveDigest))
	}
	return "---\n\n" + strings.Join(parts, " · ") + "\n"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// mdCulprit renders a culprit as code: the function, then its file and
// line when known.
func mdCulprit(c *analyze.Culprit) string {
	if c.File == "" {
		return mdCode(c.Function)
	}
	return fmt.Sprintf("%s at %s", mdCode(c.Function), mdCode(fmt.Sprintf("%s:%d", c.File, c.Line)))
}

// mdCellCulprit is mdCulprit for a table cell.
func mdCellCulprit(c *analyze.Culprit) string {
	if c.File == "" {
		return mdCell(c.Function)
	}
	return fmt.Sprintf("%s at %s", mdCell(c.Function), mdCell(fmt.Sprintf("%s:%d", c.File, c.Line)))
}
