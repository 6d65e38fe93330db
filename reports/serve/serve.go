// Package serve is coroner's incident browser: a read-only web UI over the
// incident index, with incidents grouped by signature, each incident's
// stored report and inventory, and what a re-analysis changed. Pages are
// rendered on the server with html/template, load nothing from outside
// themselves, need no JavaScript, and are also served as JSON (the same
// data, for bots) when the path ends in .json or the client accepts only
// application/json.
package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coroner/coroner/internal/index"
)

// Options configure a Server.
type Options struct {
	// Index is the incident index pages are built from.
	Index *index.DB
	// Results holds the stored results reports and inventories come from.
	Results Results
	// BasePath is the path prefix a reverse proxy serves the UI under
	// ("/coroner"); "" for the root.
	BasePath string
	// QueryTimeout bounds each request's index queries (0: DefaultQueryTimeout).
	QueryTimeout time.Duration
	// Log receives request errors (nil: the standard logger, on stderr).
	Log *log.Logger
	// NoCache builds every signatures listing afresh instead of reusing
	// one the index has not changed since (for measuring the queries).
	NoCache bool
}

// DefaultQueryTimeout bounds a page's queries: the signatures page over
// 100,000 incidents takes tens of milliseconds (BenchmarkSignaturesPage),
// so ten seconds stops only a runaway query on a loaded machine.
const DefaultQueryTimeout = 10 * time.Second

// Server answers the UI's pages. It has no write endpoint: every route
// is GET or HEAD.
type Server struct {
	o     Options
	log   *log.Logger
	cache groupCache
}

// New returns a server over o.Index and o.Results.
func New(o Options) (*Server, error) {
	if o.Index == nil || o.Results == nil {
		return nil, errors.New("serve: an index and a results source are needed")
	}
	o.BasePath = strings.TrimRight(o.BasePath, "/")
	if o.BasePath != "" && !strings.HasPrefix(o.BasePath, "/") {
		return nil, fmt.Errorf("serve: base path %q must start with /", o.BasePath)
	}
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = DefaultQueryTimeout
	}
	l := o.Log
	if l == nil {
		l = log.Default()
	}
	return &Server{o: o, log: l}, nil
}

// request is one page request: the path below the base path without its
// .json suffix, whether JSON was asked for, and the query.
type request struct {
	*http.Request
	path  []string
	json  bool
	query url.Values
}

// ServeHTTP routes a request to its page.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "read-only: GET and HEAD only", http.StatusMethodNotAllowed)
		return
	}
	if r.URL.Path == "/favicon.ico" {
		// Browsers ask for it beside the stored report, which names no icon.
		w.WriteHeader(http.StatusNoContent)
		return
	}
	p, ok := strings.CutPrefix(r.URL.Path, s.o.BasePath)
	if !ok || (p != "" && !strings.HasPrefix(p, "/")) {
		http.NotFound(w, r)
		return
	}
	if p == "" || p == "/" {
		http.Redirect(w, r, s.link("/signatures", nil), http.StatusSeeOther)
		return
	}
	req := &request{Request: r, query: r.URL.Query()}
	p, req.json = strings.CutSuffix(p, ".json")
	req.json = req.json || wantsJSON(r.Header.Get("Accept"))
	req.path = strings.Split(strings.Trim(p, "/"), "/")
	ctx, cancel := context.WithTimeout(r.Context(), s.o.QueryTimeout)
	defer cancel()
	req.Request = r.WithContext(ctx)
	var err error
	switch {
	case len(req.path) == 1 && req.path[0] == "signatures":
		err = s.signatures(w, req)
	case len(req.path) == 3 && req.path[0] == "incidents":
		err = s.incident(w, req, req.path[1], req.path[2])
	case len(req.path) == 4 && req.path[0] == "incidents" && req.path[3] == "report":
		err = s.report(w, req, req.path[1], req.path[2])
	case len(req.path) == 1 && req.path[0] == "changes":
		err = s.changes(w, req)
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, req, err)
	}
}

// wantsJSON reports whether an Accept header asks for JSON rather than a
// page: it names application/json and not text/html.
func wantsJSON(accept string) bool {
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html")
}

// httpError is an error with the status it answers with.
type httpError struct {
	status int
	err    error
}

func (e *httpError) Error() string { return e.err.Error() }
func (e *httpError) Unwrap() error { return e.err }

// badRequest marks err as the client's mistake.
func badRequest(err error) error { return &httpError{status: http.StatusBadRequest, err: err} }

// notFound marks err as naming something that does not exist.
func notFound(err error) error { return &httpError{status: http.StatusNotFound, err: err} }

// fail answers with err's status (500 unless marked), as a page or JSON.
func (s *Server) fail(w http.ResponseWriter, r *request, err error) {
	status := http.StatusInternalServerError
	var he *httpError
	if errors.As(err, &he) {
		status = he.status
	} else if errors.Is(err, context.DeadlineExceeded) {
		status = http.StatusServiceUnavailable
	}
	if status >= 500 {
		s.log.Printf("coroner serve: %s %s: %v", r.Method, r.URL.Path, err)
	}
	if r.json {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"error": err.Error(), "status": status})
		return
	}
	if err := s.render(w, status, errorTemplate, errorPage{Page: s.page(r, http.StatusText(status)), Status: status, Message: err.Error()}); err != nil {
		s.log.Printf("coroner serve: %s %s: error page: %v", r.Method, r.URL.Path, err)
	}
}

// writeJSON answers with v as indented JSON.
func writeJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// link is the URL of a page path under the base path, with a query.
func (s *Server) link(path string, q url.Values) string {
	u := s.o.BasePath + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// incidentLink is the URL of a run's incident page.
func (s *Server) incidentLink(digest, set string) string {
	return s.link("/incidents/"+url.PathEscape(digest)+"/"+url.PathEscape(set), nil)
}
