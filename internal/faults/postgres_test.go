package faults

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cluster is a PostgreSQL server of the test's own (initdb + pg_ctl from
// Debian's binaries, run as the postgres user, on a free port), so the test
// can restart it without touching the server other tests share.
type cluster struct {
	bin, dir string
	port     int
	cred     *syscall.Credential
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("starting a private PostgreSQL as the postgres user needs root; not run")
	}
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Skip("no /usr/lib/postgresql/*/bin/initdb: PostgreSQL server binaries are not installed; not run")
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Skip("no postgres user; not run")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	dir, err := os.MkdirTemp("", "cityid-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c := &cluster{bin: filepath.Dir(bins[len(bins)-1]), dir: filepath.Join(dir, "data"), port: port,
		cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	c.run(t, "initdb", "-D", c.dir, "-A", "trust", "-U", "postgres", "--no-sync")
	c.start(t)
	t.Cleanup(func() { c.pgctl("stop", "-m", "immediate") })
	return c
}

func (c *cluster) cmd(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	cmd.Dir = filepath.Dir(c.dir)
	return cmd
}

func (c *cluster) run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := c.cmd(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

func (c *cluster) pgctl(args ...string) error {
	args = append(args, "-D", c.dir, "-w", "-t", "60")
	return c.cmd("pg_ctl", args...).Run()
}

func (c *cluster) start(t *testing.T) {
	t.Helper()
	opts := fmt.Sprintf("-c port=%d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s -c fsync=off", c.port, filepath.Dir(c.dir))
	if out, err := c.cmd("pg_ctl", "start", "-D", c.dir, "-w", "-t", "60", "-l", filepath.Join(filepath.Dir(c.dir), "log"), "-o", opts).CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl start: %v\n%s", err, out)
	}
}

func (c *cluster) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// TestPostgresRestartReadyz: a running `cityid serve` on PostgreSQL answers
// /readyz 200; while the database is stopped /readyz fails (and /healthz
// still answers: the process is up); once the database is back /readyz is
// 200 again and the staff portal serves, without restarting cityid.
func TestPostgresRestartReadyz(t *testing.T) {
	c := newCluster(t)
	bin := binary(t)
	dir := filepath.Join(t.TempDir(), "data")
	srv := exec.Command(bin, "serve", "--data", dir, "--db", c.url(), "--addr", "127.0.0.1:0")
	stdout, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	srv.Stderr = io.Discard
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	base := ""
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if _, v, ok := strings.Cut(sc.Text(), "staff URL: "); ok {
			base = strings.TrimSuffix(strings.TrimSpace(v), "/staff/")
			break
		}
	}
	go io.Copy(io.Discard, stdout)
	if base == "" {
		t.Fatal("serve printed no URL")
	}
	client := &http.Client{Timeout: 10 * time.Second}
	status := func(path string) int {
		resp, err := client.Get(base + path)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	wait("/readyz 200 at start", func() bool { return status("/readyz") == http.StatusOK })

	if err := c.pgctl("stop", "-m", "fast"); err != nil {
		t.Fatalf("stop PostgreSQL: %v", err)
	}
	wait("/readyz to fail while PostgreSQL is down", func() bool { s := status("/readyz"); return s >= 500 })
	if s := status("/healthz"); s != http.StatusOK {
		t.Errorf("/healthz = %d while the database is down, want 200 (the process is up)", s)
	}
	c.start(t)
	wait("/readyz 200 after PostgreSQL is back", func() bool { return status("/readyz") == http.StatusOK })
	if s := status("/login"); s != http.StatusOK {
		t.Errorf("/login = %d after the database came back, want 200", s)
	}
	if srv.ProcessState != nil {
		t.Fatal("cityid exited")
	}
}
