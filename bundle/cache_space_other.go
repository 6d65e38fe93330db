//go:build !(linux || darwin || freebsd)

package bundle

import "os"

// diskUsage is the file's size: allocated blocks are not portable.
func diskUsage(st os.FileInfo) int64 { return st.Size() }

// freeSpace is unknown here: a percentage bound cannot be resolved, and
// --cache-max must be a size.
func freeSpace(dir string) int64 { return -1 }
