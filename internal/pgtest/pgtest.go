// Package pgtest gives tests a PostgreSQL database on loopback: the one
// named by JEDISOS_TEST_POSTGRES_DSN, or a throw-away cluster started from
// the local PostgreSQL binaries (initdb and pg_ctl) in a temporary
// directory.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN is the variable naming a database for the tests.
const EnvDSN = "JEDISOS_TEST_POSTGRES_DSN"

// Server is a database for tests.
type Server struct {
	// DSN reaches the database.
	DSN string
	// How says where it came from, for logs.
	How  string
	stop func()
}

// Stop stops a cluster this package started; it does nothing for one named
// by JEDISOS_TEST_POSTGRES_DSN.
func (s *Server) Stop() {
	if s != nil && s.stop != nil {
		s.stop()
	}
}

// ErrNoServer is returned by Start when JEDISOS_TEST_POSTGRES_DSN is unset
// and no PostgreSQL binaries are installed.
var ErrNoServer = errors.New("pgtest: no PostgreSQL server: set " + EnvDSN + " to a database, or install PostgreSQL (initdb and pg_ctl on PATH, under /usr/lib/postgresql, or in " + EnvBin + ")")

// EnvBin names the directory of initdb and pg_ctl, when they are neither on
// PATH nor under /usr/lib/postgresql.
const EnvBin = "JEDISOS_TEST_POSTGRES_BIN"

// binDir finds the directory holding initdb.
func binDir() string {
	if d := os.Getenv(EnvBin); d != "" {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
		return ""
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		return filepath.Dir(p)
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	return ""
}

func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start returns the database of JEDISOS_TEST_POSTGRES_DSN, or starts a
// cluster on a free loopback port with its data under a new temporary
// directory and creates a database in it. Running as root, the cluster runs
// as the postgres user (initdb refuses root).
func Start(ctx context.Context) (*Server, error) {
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		return &Server{DSN: dsn, How: "from " + EnvDSN}, nil
	}
	bin := binDir()
	if bin == "" {
		return nil, ErrNoServer
	}
	dir, err := os.MkdirTemp("", "pgtest")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Server, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	var run func(name string, args ...string) *exec.Cmd
	asRoot := os.Geteuid() == 0
	if asRoot {
		u, err := user.Lookup("postgres")
		if err != nil {
			return fail(fmt.Errorf("pgtest: running as root needs a postgres user to run the cluster: %w", err))
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chmod(dir, 0o755); err != nil {
			return fail(err)
		}
		for _, d := range []string{"data", "sock"} {
			p := filepath.Join(dir, d)
			if err := os.Mkdir(p, 0o700); err != nil {
				return fail(err)
			}
			if err := os.Chown(p, uid, gid); err != nil {
				return fail(err)
			}
		}
		run = func(name string, args ...string) *exec.Cmd {
			return exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", filepath.Join(bin, name)}, args...)...)
		}
	} else {
		if err := os.Mkdir(filepath.Join(dir, "sock"), 0o700); err != nil {
			return fail(err)
		}
		run = func(name string, args ...string) *exec.Cmd {
			return exec.CommandContext(ctx, filepath.Join(bin, name), args...)
		}
	}
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "sock")
	if out, err := run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--locale=C").CombinedOutput(); err != nil {
		return fail(fmt.Errorf("pgtest: initdb: %v: %s", err, out))
	}
	port, err := freePort()
	if err != nil {
		return fail(err)
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c max_connections=200", port, sock)
	logFile := filepath.Join(dir, "sock", "server.log")
	if out, err := run("pg_ctl", "-D", data, "-l", logFile, "-o", opts, "-w", "-t", "60", "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(logFile)
		return fail(fmt.Errorf("pgtest: pg_ctl start: %v: %s %s", err, out, log))
	}
	stop := func() {
		exec.Command("runuser", "-u", "postgres", "--", filepath.Join(bin, "pg_ctl"), "-D", data, "stop", "-m", "immediate").Run()
		os.RemoveAll(dir)
	}
	if !asRoot {
		stop = func() {
			exec.Command(filepath.Join(bin, "pg_ctl"), "-D", data, "stop", "-m", "immediate").Run()
			os.RemoveAll(dir)
		}
	}
	admin := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	conn, err := connect(ctx, admin)
	if err != nil {
		stop()
		return nil, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE jedisos_test"); err != nil {
		stop()
		return nil, fmt.Errorf("pgtest: create database: %w", err)
	}
	return &Server{
		DSN:  fmt.Sprintf("postgres://postgres@127.0.0.1:%d/jedisos_test?sslmode=disable", port),
		How:  fmt.Sprintf("throw-away cluster of %s on 127.0.0.1:%d in %s", bin, port, dir),
		stop: stop,
	}, nil
}

func connect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			return conn, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("pgtest: connect: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Schema creates a new empty schema in the server's database and returns
// a DSN whose search_path is that schema, so each test gets tables of its
// own.
func (s *Server) Schema(ctx context.Context, name string) (string, error) {
	conn, err := connect(ctx, s.DSN)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+ident+" CASCADE; CREATE SCHEMA "+ident); err != nil {
		return "", fmt.Errorf("pgtest: create schema %s: %w", name, err)
	}
	sep := "?"
	if strings.Contains(s.DSN, "?") {
		sep = "&"
	}
	if !strings.Contains(s.DSN, "://") {
		return s.DSN + " search_path=" + name, nil
	}
	return s.DSN + sep + "search_path=" + name, nil
}
