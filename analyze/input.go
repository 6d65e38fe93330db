package analyze

import "github.com/coroner/coroner/bundle"

// Input declares one artifact kind an analyzer reads and whether it needs
// the artifact as a seekable file (Pass.Path) rather than a stream
// (Pass.Open).
type Input struct {
	Kind bundle.Kind
	// Seeks reports whether the analyzer reads artifact a of the archive
	// m describes by seeking; nil means it streams every artifact of Kind.
	Seeks func(m *bundle.Manifest, a bundle.Artifact) bool
}

// Streamed declares that an analyzer streams artifacts of kind k.
func Streamed(k bundle.Kind) Input { return Input{Kind: k} }

// Seeked declares that an analyzer reads every artifact of kind k by
// seeking.
func Seeked(k bundle.Kind) Input {
	return Input{Kind: k, Seeks: func(*bundle.Manifest, bundle.Artifact) bool { return true }}
}

// Seekable reports whether any analyzer of set (or one it runs after)
// reads a, an artifact of the archive m describes, by seeking: such
// members are extracted to files while an archive is verified, the others
// are streamed from the archive when read.
func Seekable(set []*Analyzer, m *bundle.Manifest, a bundle.Artifact) bool {
	for _, an := range order(set) {
		for _, in := range an.Inputs {
			if in.Kind == a.Kind && in.Seeks != nil && in.Seeks(m, a) {
				return true
			}
		}
	}
	return false
}

// declares reports whether a declares kind k among its inputs.
func (a *Analyzer) declares(k bundle.Kind) bool {
	for _, in := range a.Inputs {
		if in.Kind == k {
			return true
		}
	}
	return false
}
