package export

import (
	"encoding/json"
	"io"

	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/internal/version"
)

// speedscopeSchema is the $schema value speedscope's file format requires.
const speedscopeSchema = "https://www.speedscope.app/file-format-schema.json"

// speedscopeFile is speedscope's file format (FileFormat.File) with one
// sampled profile.
type speedscopeFile struct {
	Schema             string              `json:"$schema"`
	Shared             speedscopeShared    `json:"shared"`
	Profiles           []speedscopeProfile `json:"profiles"`
	Name               string              `json:"name"`
	ActiveProfileIndex int                 `json:"activeProfileIndex"`
	Exporter           string              `json:"exporter"`
}

type speedscopeShared struct {
	Frames []speedscopeFrame `json:"frames"`
}

type speedscopeFrame struct {
	Name string `json:"name"`
	File string `json:"file,omitempty"`
}

// speedscopeProfile is a FileFormat.SampledProfile: each sample is a
// stack of frame indices from the root to the leaf, with its weight.
type speedscopeProfile struct {
	Type       string  `json:"type"`
	Name       string  `json:"name"`
	Unit       string  `json:"unit"`
	StartValue int64   `json:"startValue"`
	EndValue   int64   `json:"endValue"`
	Samples    [][]int `json:"samples"`
	Weights    []int64 `json:"weights"`
}

// Speedscope writes the merged CPU profile in speedscope's file format:
// one sampled profile in nanoseconds whose weights add up to the merged
// profile's total, frames by function and file.
func Speedscope(w io.Writer, p *cpu.Profile, name string) error {
	if name == "" {
		name = "CPU"
	}
	f := speedscopeFile{
		Schema:   speedscopeSchema,
		Shared:   speedscopeShared{Frames: []speedscopeFrame{}},
		Name:     frameName(name),
		Exporter: version.Tool(),
	}
	prof := speedscopeProfile{Type: "sampled", Name: frameName(name) + " merged CPU profile", Unit: "nanoseconds",
		Samples: [][]int{}, Weights: []int64{}}
	type key struct{ name, file string }
	index := map[key]int{}
	for _, s := range p.Samples {
		stack := make([]int, 0, len(s.Stack))
		for i := len(s.Stack) - 1; i >= 0; i-- {
			k := key{frameName(s.Stack[i].Func), s.Stack[i].File}
			n, ok := index[k]
			if !ok {
				n = len(f.Shared.Frames)
				index[k] = n
				fr := speedscopeFrame{Name: k.name}
				if k.file != "" {
					fr.File = frameName(k.file)
				}
				f.Shared.Frames = append(f.Shared.Frames, fr)
			}
			stack = append(stack, n)
		}
		prof.Samples = append(prof.Samples, stack)
		prof.Weights = append(prof.Weights, s.Value)
		prof.EndValue += s.Value
	}
	f.Profiles = []speedscopeProfile{prof}
	enc := json.NewEncoder(w)
	return enc.Encode(f)
}
