package testenv

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for ping
)

// PGCluster is a private PostgreSQL started by a test on its own port in a
// temporary directory, so that the test can stop it (an outage) and start it
// again. It never touches the machine's shared PostgreSQL.
type PGCluster struct {
	t    testing.TB
	bin  string // directory holding initdb, pg_ctl
	dir  string // data directory
	port int
	// URL connects to the cluster's postgres database as user postgres.
	URL string
	// runas: when running as root, PostgreSQL refuses to start; the cluster
	// then runs as this user (postgres).
	runas string
}

// PostgresBinDir finds initdb and pg_ctl under /usr/lib/postgresql/*/bin
// (the newest version), or fails naming what is missing.
func PostgresBinDir(t testing.TB) string {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "pg_ctl")) {
			return d
		}
	}
	t.Fatalf("private PostgreSQL: initdb and pg_ctl not found in /usr/lib/postgresql/*/bin (install the postgresql server package)")
	return ""
}

func pgVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExec(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode()&0o111 != 0
}

// StartPGCluster initialises and starts a private cluster on port (use the
// ports your environment reserves for you). It is stopped and removed when
// the test ends. TEST_PG_PORT_OFFSET, when set, is added to port so that two
// checkouts can run their tests side by side on one machine.
func StartPGCluster(t testing.TB, port int) *PGCluster {
	t.Helper()
	if off := os.Getenv("TEST_PG_PORT_OFFSET"); off != "" {
		n, err := strconv.Atoi(off)
		if err != nil || n < 0 || port+n > 65535 {
			t.Fatalf("TEST_PG_PORT_OFFSET=%q: want a small non-negative number", off)
		}
		port += n
	}
	c := &PGCluster{t: t, bin: PostgresBinDir(t), port: port}
	dir, err := os.MkdirTemp("", "pairpad-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	c.dir = filepath.Join(dir, "data")
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("private PostgreSQL: running as root needs a 'postgres' user to run the cluster as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.runas = "postgres"
	}
	c.run("initdb", "-D", c.dir, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")
	c.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	c.Start()
	t.Cleanup(func() {
		if c.running() {
			_ = c.cmd("pg_ctl", "-D", c.dir, "-m", "immediate", "-w", "stop").Run()
		}
	})
	return c
}

func (c *PGCluster) cmd(tool string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, tool)
	if c.runas != "" {
		return exec.Command("runuser", append([]string{"-u", c.runas, "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func (c *PGCluster) run(tool string, args ...string) {
	c.t.Helper()
	out, err := c.cmd(tool, args...).CombinedOutput()
	if err != nil {
		logTail, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		if len(logTail) > 2000 {
			logTail = logTail[len(logTail)-2000:]
		}
		c.t.Fatalf("private PostgreSQL: %s %v: %v\n%s\nserver.log:\n%s", tool, args, err, out, logTail)
	}
}

func (c *PGCluster) running() bool {
	return c.cmd("pg_ctl", "-D", c.dir, "status").Run() == nil
}

// Start starts the cluster and waits until it accepts connections.
func (c *PGCluster) Start() {
	c.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", c.port, c.dir)
	args := []string{"-D", c.dir, "-l", filepath.Join(c.dir, "server.log"), "-o", opts, "-w", "-t", "60", "start"}
	// Right after an immediate stop, backends of the old postmaster may
	// still hold its shared memory and the new one refuses to start: retry
	// for a few seconds before failing.
	for attempt := 0; attempt < 10 && c.cmd("pg_ctl", args...).Run() != nil; attempt++ {
		time.Sleep(500 * time.Millisecond)
	}
	if !c.running() {
		c.run("pg_ctl", args...)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := c.Ping()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("private PostgreSQL on port %d did not accept connections: %v", c.port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the cluster at once (an outage: connections are cut).
func (c *PGCluster) Stop() {
	c.t.Helper()
	c.run("pg_ctl", "-D", c.dir, "-m", "immediate", "-w", "stop")
}

// Ping reports whether the cluster accepts connections.
func (c *PGCluster) Ping() error {
	db, err := sql.Open("pgx", c.URL)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}
