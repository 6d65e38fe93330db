// Package version holds coroner's own version, stamped at build time with
// -ldflags "-X github.com/coroner/coroner/internal/version.Version=…", or
// else taken from the module version the go command recorded in the
// binary (`go install …/cmd/coroner@v1.2.3`).
package version

import "runtime/debug"

// unstamped is Version when the build stamped none.
const unstamped = "0.1.0-dev"

// Version is coroner's release version.
var Version = unstamped

func init() {
	bi, _ := debug.ReadBuildInfo()
	Version = resolve(Version, bi)
}

// resolve returns the stamped version, else the main module's version
// from the build info, else the unstamped one. The go command records
// "(devel)" for a build of a local checkout without version control
// information, which says nothing.
func resolve(stamped string, bi *debug.BuildInfo) string {
	if stamped != unstamped || bi == nil {
		return stamped
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	return stamped
}

// Tool returns "coroner <version>", as recorded in manifests and results.
func Tool() string { return "coroner " + Version }
