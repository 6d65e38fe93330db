// Package s3test serves a real S3 protocol endpoint for tests: an
// in-process S3-compatible server (github.com/johannesboyne/gofakes3, in
// memory) behind net/http/httptest on 127.0.0.1, reached through
// gocloud's s3blob and the AWS SDK exactly as a production bucket is.
package s3test

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Start serves a new S3 endpoint holding an empty bucket until t ends,
// sets the AWS credentials and region variables the SDK reads (the
// endpoint accepts any), and returns the s3:// URL of the bucket's root
// with the query that points the SDK at the endpoint.
func Start(t testing.TB, bucket string) string {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatalf("creating bucket %s: %v", bucket, err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "coroner-test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "coroner-test-secret")
	t.Setenv("AWS_REGION", "us-east-1")
	q := url.Values{"endpoint": {srv.URL}, "region": {"us-east-1"}, "use_path_style": {"true"}}
	return "s3://" + bucket + "/?" + q.Encode()
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
