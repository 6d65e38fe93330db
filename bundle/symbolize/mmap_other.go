//go:build !unix

package symbolize

import "os"

// mapFile is unavailable here: sections are read into memory instead.
func mapFile(*os.File) ([]byte, func()) { return nil, nil }
