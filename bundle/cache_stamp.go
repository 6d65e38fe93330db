package bundle

import (
	"fmt"
	"os"
	"strings"
)

// bootIDFile names this boot of the machine on Linux.
const bootIDFile = "/proc/sys/kernel/random/boot_id"

// bootID identifies the running boot of the machine, or "" where unknown.
func bootID() string {
	b, err := os.ReadFile(bootIDFile)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// publishCached renames an extracted cache entry into place, leaving it
// open (and locked) for the caller. Syncing a multi-GiB core to disk can
// take longer than extracting it, and only a crash of the machine can
// lose what is already in the page cache; so where the file system keeps
// a boot stamp on the file (set before the rename, so a rename that
// survives a crash carries it) the entry is renamed unsynced, and cached
// checks it again after a reboot. Elsewhere it is synced first.
func publishCached(af *AtomicFile) error {
	if id := bootID(); id != "" && setBootStamp(af.File, id) == nil {
		return af.rename(false)
	}
	if err := af.File.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", af.Name(), err)
	}
	return af.rename(true)
}

// cached reports whether the cache entry at dest, already of the right
// size, can be used as it is: it has no boot stamp (it was synced), or
// was written during this boot (the page cache holds what was written).
// An entry written unsynced before a crash or reboot is trusted only if
// its SHA-256 still matches; it is then synced and its stamp dropped.
func cached(dest, sum string) bool {
	stamp, ok := bootStamp(dest)
	if !ok || stamp != "" && stamp == bootID() {
		return true
	}
	f, err := os.Open(dest)
	if err != nil {
		return false
	}
	defer f.Close()
	if _, got, err := SumSHA256(f); err != nil || got != sum {
		return false
	}
	if f.Sync() != nil {
		return false
	}
	clearBootStamp(dest)
	return true
}
