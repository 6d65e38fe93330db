package perfdata

import "path/filepath"

// AddBinary registers the local ELF file at path for symbolizing the
// mappings a recording names by its build ID or by one of names (the
// paths it was known by; their base names too, as a mapping's path may
// differ in its directory). With isGo set it also marks the binary's
// process as the one the recording is read for (Select).
func (o *Options) AddBinary(path, buildID string, names []string, isGo bool) {
	if o.Binaries == nil {
		o.Binaries = map[string]string{}
	}
	if buildID != "" {
		o.Binaries[buildID] = path
		if isGo {
			o.Select.BuildIDs = append(o.Select.BuildIDs, buildID)
		}
	}
	for _, n := range names {
		if n == "" {
			continue
		}
		o.Binaries[n] = path
		o.Binaries[filepath.Base(n)] = path
		if isGo {
			o.Select.Names = append(o.Select.Names, filepath.Base(n))
		}
	}
}
