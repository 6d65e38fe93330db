package source

import (
	"path"
	"strings"

	"github.com/coroner/coroner/analyze"
)

// A file name in a Go executable is one of:
//   - built with -trimpath: "<module path>@<version>/<file>" for a
//     dependency, "<main module path>/<file>" for the main module (and a
//     dependency replaced by a directory), "<package>/<file>" for the
//     standard library;
//   - built without: the absolute path on the build machine, such as
//     "/home/u/go/pkg/mod/<escaped module path>@<version>/<file>",
//     "/usr/local/go/src/runtime/proc.go" or "/src/svc/main.go".
//
// candidates turns one into paths to try under a source tree, most
// specific first: the module cache's layout, the tree as the module's
// root, GOROOT's src/, and last the name's trailing components (at least
// a directory and a file), which finds a checkout of an absolute path or a
// module inside a larger repository.
func candidates(name string, b *analyze.BuildInfo, rt *root) []string {
	var out []string
	seen := map[string]bool{}
	add := func(rel string) {
		rel = path.Clean(rel)
		if rel != "." && !seen[rel] && !path.IsAbs(rel) && rel != ".." && !strings.HasPrefix(rel, "../") {
			seen[rel] = true
			out = append(out, rel)
		}
	}
	trimmed := !path.IsAbs(name)
	if trimmed {
		if mod, version, rest, ok := splitVersioned(name); ok {
			add(escapeModule(mod) + "@" + version + "/" + rest)
			if rt.module == mod {
				add(rest)
			}
		}
		if b != nil && b.MainPath != "" {
			if rest, ok := strings.CutPrefix(name, b.MainPath+"/"); ok && (rt.module == "" || rt.module == b.MainPath) {
				add(rest)
			}
		}
		if b != nil {
			for _, m := range b.Modules {
				rest, ok := strings.CutPrefix(name, m.Path+"/")
				if !ok {
					continue
				}
				if rt.module == m.Path {
					add(rest)
				}
				if r := m.Replace; r != nil && r.Version != "" {
					add(escapeModule(r.Path) + "@" + r.Version + "/" + rest)
				} else if m.Version != "" && r == nil {
					add(escapeModule(m.Path) + "@" + m.Version + "/" + rest)
				}
			}
		}
		if first, _, _ := strings.Cut(name, "/"); !strings.Contains(first, ".") {
			add("src/" + name)
			add(name)
		}
	}
	comps := strings.Split(strings.TrimPrefix(path.Clean(name), "/"), "/")
	for i := 0; i+2 <= len(comps); i++ {
		add(strings.Join(comps[i:], "/"))
	}
	return out
}

// splitVersioned splits "<module>@<version>/<file>" at the first
// component holding "@".
func splitVersioned(name string) (mod, version, rest string, ok bool) {
	at := strings.IndexByte(name, '@')
	if at <= 0 {
		return "", "", "", false
	}
	mod = name[:at]
	version, rest, ok = strings.Cut(name[at+1:], "/")
	if !ok || version == "" || rest == "" || strings.Contains(mod, "@") {
		return "", "", "", false
	}
	return mod, version, rest, true
}

// fromModuleCache reports whether rel is a module cache path: its
// content is fixed by the module version in its name.
func fromModuleCache(rel string) bool {
	_, _, _, ok := splitVersioned(rel)
	return ok
}
