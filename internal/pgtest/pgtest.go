// Package pgtest starts a real PostgreSQL server for tests: initdb into a
// temporary directory, pg_ctl start on a private port of 127.0.0.1 and a
// private socket directory, a fresh database per test, pg_ctl stop at the
// end. Tests that need it skip, with the reason, when the server binaries
// are not installed.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// Server is a running PostgreSQL cluster owned by this process.
type Server struct {
	dir  string // cluster data, log and socket directory
	bin  string // directory of initdb and pg_ctl
	port int
	run  *runAs
}

var (
	shared     *Server
	sharedErr  error
	sharedOnce sync.Once
	databases  atomic.Int64
)

// DSN returns the URL of a new, empty database on this process's shared
// server (started on first use), or skips t with the reason the server
// cannot run here. Call Stop from TestMain after m.Run.
func DSN(t testing.TB) string {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = Start() })
	if sharedErr != nil {
		if errors.Is(sharedErr, errNoBinaries) {
			t.Skipf("PostgreSQL: %v", sharedErr)
		}
		t.Fatalf("PostgreSQL: %v", sharedErr)
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), databases.Add(1))
	if err := shared.CreateDatabase(name); err != nil {
		t.Fatal(err)
	}
	return shared.URL(name)
}

// Stop stops the shared server if one was started.
func Stop() {
	if shared != nil {
		shared.Stop()
	}
}

// errNoBinaries is returned when initdb or pg_ctl cannot be found.
var errNoBinaries = errors.New("initdb and pg_ctl not found on PATH or under /usr/lib/postgresql/*/bin (install Debian's postgresql package)")

// binDir finds the directory holding initdb and pg_ctl: PATH first, then
// Debian's versioned directories.
func binDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	for i := len(matches) - 1; i >= 0; i-- { // newest version last in glob order
		d := filepath.Dir(matches[i])
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errNoBinaries
}

// Start initializes and starts a new cluster. The caller must Stop it.
func Start() (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	run, err := newRunAs()
	if err != nil {
		return nil, err
	}
	// A short directory name: the socket path must fit sockaddr_un (108 bytes).
	dir, err := os.MkdirTemp("", "pg")
	if err != nil {
		return nil, err
	}
	if err := run.own(dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Server{dir: dir, run: run}
	data := filepath.Join(dir, "data")
	if out, err := run.command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	// The port is chosen free just before starting; another process
	// taking it in between makes pg_ctl fail, and the next try succeeds.
	for try := 0; ; try++ {
		s.port, err = freePort()
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c max_connections=200", s.port, dir)
		out, err := run.command(filepath.Join(bin, "pg_ctl"), "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts, "-w", "-t", "60", "start").CombinedOutput()
		if err == nil {
			break
		}
		if try == 2 {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pg_ctl start: %w\n%s\n%s", err, out, log)
		}
	}
	s.bin = bin
	return s, nil
}

// URL returns the connection URL of database name.
func (s *Server) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, name)
}

// CreateDatabase creates an empty database.
func (s *Server) CreateDatabase(name string) error {
	db, err := sql.Open("pgx", s.URL("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		return fmt.Errorf("creating database %s: %w", name, err)
	}
	return nil
}

// Stop shuts the server down (fast mode) and removes its directory.
func (s *Server) Stop() {
	_ = s.run.command(filepath.Join(s.bin, "pg_ctl"), "-D", filepath.Join(s.dir, "data"), "-m", "fast", "-w", "stop").Run()
	os.RemoveAll(s.dir)
}

// freePort returns a TCP port of 127.0.0.1 nobody listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// runAs runs the server binaries as an unprivileged user when this process
// is root, since initdb and postgres refuse to run as root.
type runAs struct {
	cred *syscall.Credential
}

func newRunAs() (*runAs, error) {
	if os.Geteuid() != 0 {
		return &runAs{}, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &runAs{cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}, nil
	}
	return nil, fmt.Errorf("%w: running as root and no postgres or nobody user to run the server as", errNoBinaries)
}

// own gives dir to the user the server runs as.
func (r *runAs) own(dir string) error {
	if r.cred == nil {
		return nil
	}
	if err := os.Chown(dir, int(r.cred.Uid), int(r.cred.Gid)); err != nil {
		return fmt.Errorf("chown %s: %w", dir, err)
	}
	return nil
}

func (r *runAs) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = os.TempDir()
	if r.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: r.cred}
	}
	return cmd
}
