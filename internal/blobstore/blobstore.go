// Package blobstore opens object-store URLs for coroner's inputs and
// outputs through gocloud.dev/blob, one API for s3:// (AWS S3 and
// S3-compatible stores), gs:// (Google Cloud Storage), azblob:// (Azure
// Blob Storage), file:// and mem://.
//
// A URL names a bucket and a key: s3://BUCKET/KEY?QUERY, where the query
// configures the bucket (region, endpoint, use_path_style, … as gocloud
// documents for each scheme) and the key may be a prefix ending in '/'.
// A file:// URL names a path on this machine: file:///abs/path. mem://
// buckets live as long as the process. Credentials come each cloud's
// standard way (environment, shared config, instance or workload role);
// nothing here reads or logs them.
package blobstore

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // registers azblob://
	_ "gocloud.dev/blob/fileblob"  // registers file://
	_ "gocloud.dev/blob/gcsblob"   // registers gs://
	_ "gocloud.dev/blob/memblob"   // registers mem://
	_ "gocloud.dev/blob/s3blob"    // registers s3://
)

// schemes are the URL schemes this package opens.
var schemes = []string{"s3", "gs", "azblob", "file", "mem"}

// IsURL reports whether s is an object-store URL this package opens.
func IsURL(s string) bool {
	scheme, _, ok := strings.Cut(s, "://")
	if !ok {
		return false
	}
	for _, sc := range schemes {
		if strings.EqualFold(scheme, sc) {
			return true
		}
	}
	return false
}

// Location is an opened bucket and a key (or key prefix) in it.
type Location struct {
	Bucket *blob.Bucket
	// Key is the object's key, or a prefix ending in '/' (empty for the
	// whole bucket).
	Key string

	scheme, host, query string
}

var (
	bucketsMu sync.Mutex
	// buckets are opened once per process and bucket URL: a mem:// bucket
	// must be the same bucket each time it is named, and an S3 client is
	// worth reusing.
	buckets = map[string]*blob.Bucket{}
)

// Open parses rawURL and opens its bucket.
func Open(ctx context.Context, rawURL string) (*Location, error) {
	u, err := url.Parse(rawURL)
	if err != nil || !IsURL(rawURL) {
		return nil, fmt.Errorf("%s: not an object-store URL (%s://…)", Redact(rawURL), strings.Join(schemes, "://, "))
	}
	l := &Location{scheme: strings.ToLower(u.Scheme), host: u.Host, query: u.RawQuery}
	bucketURL := l.scheme + "://" + u.Host
	l.Key = strings.TrimPrefix(u.Path, "/")
	if l.scheme == "file" {
		// The bucket is the file system's root, so that every file:// URL
		// under it shares one bucket and keys are absolute paths; fileblob
		// writes each file beside its final name and renames it there,
		// without a metadata sidecar.
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("%s: a file:// URL names an absolute path (file:///dir/name)", Redact(rawURL))
		}
		l.host = ""
		bucketURL = "file:///"
		q := u.Query()
		q.Set("no_tmp_dir", "true")
		q.Set("metadata", "skip")
		l.query = q.Encode()
	}
	if l.query != "" {
		bucketURL += "?" + l.query
	}
	bucketsMu.Lock()
	defer bucketsMu.Unlock()
	b, ok := buckets[bucketURL]
	if !ok {
		b, err = blob.OpenBucket(ctx, bucketURL)
		if err != nil {
			return nil, fmt.Errorf("opening bucket of %s: %w", Redact(rawURL), err)
		}
		buckets[bucketURL] = b
	}
	l.Bucket = b
	return l, nil
}

// URL returns the URL of key in l's bucket, with l's bucket query.
func (l *Location) URL(key string) string {
	u := url.URL{Scheme: l.scheme, Host: l.host, Path: "/" + key, RawQuery: l.query}
	if l.scheme == "file" {
		q, _ := url.ParseQuery(l.query)
		q.Del("no_tmp_dir")
		q.Del("metadata")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Join returns the key rel names under l's key, taken as a directory.
func (l *Location) Join(rel string) string {
	if l.Key == "" || strings.HasSuffix(l.Key, "/") {
		return l.Key + rel
	}
	return l.Key + "/" + rel
}

// Redact returns rawURL without a password or any query parameter that
// could carry a secret, for messages.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	q := u.Query()
	for k := range q {
		switch strings.ToLower(k) {
		case "region", "endpoint", "use_path_style", "s3forcepathstyle", "profile", "create_dir", "prefix":
		default:
			q.Set(k, "xxxxx")
		}
	}
	u.RawQuery = q.Encode()
	return u.Redacted()
}

// name is key's URL without secrets, for messages.
func (l *Location) name(key string) string { return Redact(l.URL(key)) }
