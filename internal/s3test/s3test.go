// Package s3test serves a real S3 protocol endpoint for tests: an
// in-process S3-compatible server (github.com/johannesboyne/gofakes3, in
// memory) behind net/http/httptest on 127.0.0.1, reached through
// gocloud's s3blob and the AWS SDK exactly as a production bucket is.
package s3test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Start serves a new S3 endpoint holding an empty bucket until t ends,
// sets the AWS credentials and region variables the SDK reads (the
// endpoint accepts any), and returns the s3:// URL of the bucket's root
// with the query that points the SDK at the endpoint.
func Start(t testing.TB, bucket string) string {
	return Serve(t, bucket).Root
}

// Endpoint is a served S3 endpoint that counts what it serves.
type Endpoint struct {
	// Root is the s3:// URL of the bucket's root, as Start returns it.
	Root string

	requests, served atomic.Int64
}

// Requests returns how many requests the endpoint has answered.
func (e *Endpoint) Requests() int64 { return e.requests.Load() }

// BytesServed returns how many response body bytes the endpoint has
// written: what reading objects cost.
func (e *Endpoint) BytesServed() int64 { return e.served.Load() }

// Serve is Start returning the endpoint, whose counters tell how much a
// reader fetched.
func Serve(t testing.TB, bucket string) *Endpoint {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatalf("creating bucket %s: %v", bucket, err)
	}
	e := &Endpoint{}
	s3 := gofakes3.New(backend).Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.requests.Add(1)
		s3.ServeHTTP(countingWriter{w, &e.served}, r)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "coroner-test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "coroner-test-secret")
	t.Setenv("AWS_REGION", "us-east-1")
	q := url.Values{"endpoint": {srv.URL}, "region": {"us-east-1"}, "use_path_style": {"true"}}
	e.Root = "s3://" + bucket + "/?" + q.Encode()
	return e
}

// countingWriter counts the body bytes written through it. It also drops
// the whole object's checksum headers from a ranged response, as S3 does
// (a range cannot match them); gofakes3 sends them, and the AWS SDK then
// fails every ranged read that reaches the end of its range.
type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c countingWriter) WriteHeader(code int) {
	if code == http.StatusPartialContent {
		for k := range c.Header() {
			if strings.HasPrefix(strings.ToLower(k), "x-amz-checksum-") {
				c.Header().Del(k)
			}
		}
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// Key returns the URL of key in the bucket whose root URL Start returned.
func Key(root, key string) string {
	u, err := url.Parse(root)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + key
	return u.String()
}
