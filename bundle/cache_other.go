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
