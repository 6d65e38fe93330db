// Package version holds coroner's own version, stamped at build time with
// -ldflags "-X github.com/coroner/coroner/internal/version.Version=…".
package version

// Version is coroner's release version.
var Version = "0.1.0-dev"

// Tool returns "coroner <version>", as recorded in manifests and results.
func Tool() string { return "coroner " + Version }
