//go:build !linux

package bundle

import (
	"errors"
	"os"
)

// Without a boot ID and extended attributes, cache entries are always
// synced before they are renamed into place.

func setBootStamp(f *os.File, id string) error { return errors.ErrUnsupported }

func bootStamp(path string) (string, bool) { return "", false }

func clearBootStamp(path string) {}

// diskUsage is the file's size: allocated blocks are not portable.
func diskUsage(st os.FileInfo) int64 { return st.Size() }

// freeSpace is unknown here: a percentage bound cannot be resolved, and
// --cache-max must be a size.
func freeSpace(dir string) int64 { return -1 }
