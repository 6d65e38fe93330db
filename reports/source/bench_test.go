package source

import (
	"strconv"
	"testing"

	"github.com/coroner/coroner/analyze"
)

// BenchmarkAttach lists 20 culprits near the end of 3,000-line files, the
// size of the longest files in common Go modules, so each read scans
// nearly the whole file.
func BenchmarkAttach(b *testing.B) {
	root := b.TempDir()
	write(b, root, "go.mod", "module example.com/svc\n")
	body := numbered(3000)
	r := &analyze.Result{Lines: &analyze.LineSamples{Build: &analyze.BuildInfo{MainPath: "example.com/svc"}}}
	for i := range 20 {
		file := "example.com/svc/pkg" + strconv.Itoa(i) + "/f.go"
		write(b, root, "pkg"+strconv.Itoa(i)+"/f.go", body)
		r.Findings = append(r.Findings, analyze.Finding{ID: strconv.Itoa(i), Culprit: &analyze.Culprit{Function: "f", File: file, Line: 2900}})
		r.Lines.Files = append(r.Lines.Files, analyze.FileSamples{File: file, Lines: []analyze.LineSample{{Line: 2990}}})
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Attach(r, Options{Roots: []string{root}, Context: DefaultContext}); err != nil {
			b.Fatal(err)
		}
	}
}
