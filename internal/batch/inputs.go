package batch

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/blobstore"
)

// archiveSuffixes are the names a directory scan picks up: coroner archives
// and the attachment formats ingest accepts. Files given explicitly are
// always taken, whatever their name.
var archiveSuffixes = []string{".tar.zst", ".tzst", ".zip", ".tar.gz", ".tgz", ".tar"}

// Expand turns ARCHIVE|DIR|GLOB arguments into a sorted, de-duplicated list
// of files. A directory contributes the archives and attachments directly
// inside it and in its subdirectories, skipping hidden entries and batch
// output directories; a glob contributes its matches. An object-store URL
// (see blobstore) naming an object contributes it; one naming a prefix
// contributes the archives and attachments under it. An argument that
// names nothing is returned in missing.
func Expand(args []string) (files, missing []string, err error) {
	seen := map[string]bool{}
	add := func(p string) {
		if !blobstore.IsURL(p) {
			p = filepath.Clean(p)
		}
		if !seen[p] {
			seen[p] = true
			files = append(files, p)
		}
	}
	for _, arg := range args {
		if blobstore.IsURL(arg) {
			urls, err := expandURL(context.Background(), arg)
			if err != nil {
				return nil, nil, err
			}
			for _, u := range urls {
				add(u)
			}
			if len(urls) == 0 {
				missing = append(missing, arg)
			}
			continue
		}
		st, statErr := os.Stat(arg)
		switch {
		case statErr == nil && st.IsDir():
			if err := scanDir(arg, add); err != nil {
				return nil, nil, err
			}
		case statErr == nil:
			add(arg)
		case strings.ContainsAny(arg, "*?["):
			matches, err := filepath.Glob(arg)
			if err != nil {
				return nil, nil, fmt.Errorf("pattern %q: %w", arg, err)
			}
			n := 0
			for _, m := range matches {
				if st, err := os.Stat(m); err == nil && st.Mode().IsRegular() {
					add(m)
					n++
				}
			}
			if n == 0 {
				missing = append(missing, arg)
			}
		default:
			missing = append(missing, arg)
		}
	}
	slices.Sort(files)
	slices.Sort(missing)
	return files, missing, nil
}

// scanDir walks dir for archives and attachments.
func scanDir(dir string, add func(string)) error {
	return filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("scanning %s: %w", dir, err)
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != dir && isOutputDir(p) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if hasArchiveSuffix(d.Name()) || hasArchiveMagic(p) {
			add(p)
		}
		return nil
	})
}

func hasArchiveSuffix(name string) bool {
	name = strings.ToLower(name)
	for _, s := range archiveSuffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// isOutputDir reports whether dir is a batch output directory (its results
// are not inputs).
func isOutputDir(dir string) bool {
	return exists(filepath.Join(dir, SummaryFile)) || isDir(filepath.Join(dir, resultsDir))
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// hasArchiveMagic reports whether the file at p starts as every archive
// does (bundle.ArchiveMagic).
func hasArchiveMagic(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [len(bundle.ArchiveMagic)]byte
	if _, err := io.ReadFull(f, b[:]); err != nil {
		return false
	}
	return bundle.HasArchiveMagic(b[:])
}

// expandURL lists what an object-store URL names: the object itself, or
// the archives and attachments under it taken as a prefix (skipping a
// batch output's results/ and inputs/ and hidden names), as URLs.
func expandURL(ctx context.Context, arg string) ([]string, error) {
	loc, err := blobstore.Open(ctx, arg)
	if err != nil {
		return nil, err
	}
	if loc.Key != "" && !strings.HasSuffix(loc.Key, "/") {
		if ok, err := loc.Exists(ctx, loc.Key); err != nil {
			return nil, err
		} else if ok {
			return []string{arg}, nil
		}
		loc.Key += "/"
	}
	keys, _, err := loc.List(ctx, func(key string) bool {
		rel := strings.TrimPrefix(key, loc.Key)
		for _, el := range strings.Split(rel, "/") {
			if strings.HasPrefix(el, ".") || el == resultsDir || el == inputsDir {
				return false
			}
		}
		return hasArchiveSuffix(path.Base(key))
	})
	if err != nil {
		return nil, err
	}
	urls := make([]string, len(keys))
	for i, k := range keys {
		urls[i] = loc.URL(k)
	}
	return urls, nil
}
