package faults

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/auth"
)

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// appServer is one `cityid serve` process.
type appServer struct {
	name    string
	addr    string // public address
	metrics string // --metrics-addr
	cmd     *exec.Cmd
}

func startServer(t *testing.T, bin, dir, dbURL, name, publicURL string) *appServer {
	t.Helper()
	s := &appServer{name: name, addr: freeAddr(t), metrics: freeAddr(t)}
	// --ready-after-index, as servers behind a proxy are run (docs/operations.md
	// "Health"): /readyz answers 503 until the screening index is loaded, so
	// HAProxy's health check (GET /readyz) sends a starting server no clerk
	// whose duplicate it could not yet see.
	s.cmd = exec.Command(bin, "serve", "--data", dir, "--db", dbURL, "--addr", s.addr, "--metrics-addr", s.metrics,
		"--trusted-proxy", "127.0.0.1/32", "--public-url", publicURL, "--ready-after-index")
	s.cmd.Stdout, s.cmd.Stderr = io.Discard, io.Discard
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.cmd.Process.Kill(); s.cmd.Wait() })
	waitFor(t, name+" /readyz", 90*time.Second, func() bool { return get("http://"+s.addr+"/readyz") == http.StatusOK })
	// Ready means the index is loaded: no second wait for it.
	if g := s.gauge("cityid_screening_index_ready"); g != 1 {
		t.Fatalf("server %s: /readyz answered 200 with --ready-after-index, but cityid_screening_index_ready = %d, want 1", name, g)
	}
	return s
}

// gauge reads one unlabelled gauge from the server's metrics (-1: no answer).
func (s *appServer) gauge(name string) int {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + s.metrics + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return -1
			}
			return int(n)
		}
	}
	return -1
}

// leading reads the server's cityid_jobs_leader gauge (-1: no answer).
func (s *appServer) leading() int { return s.gauge("cityid_jobs_leader") }

func get(u string) int {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(u)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// proxyClient talks to HAProxy like a browser (cookies, no redirects
// followed) and notes which app server answered each request.
type proxyClient struct {
	base   string
	http   *http.Client
	xff    string          // the client address a request claims to come from, through the proxy
	served map[string]bool // app servers seen (HAProxy's X-Served-By)
}

func newProxyClient(base string) *proxyClient {
	jar, _ := cookiejar.New(nil)
	return &proxyClient{base: base, served: map[string]bool{}, http: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *proxyClient) do(t *testing.T, method, path string, form url.Values) (int, string, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.xff != "" {
		req.Header.Set("X-Forwarded-For", c.xff)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	c.served[resp.Header.Get("X-Served-By")] = true
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

var apiTokenRE = regexp.MustCompile(`cid_[A-Za-z0-9_-]{20,}`)

var totpSecretRE = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)

// signIn signs in through every step (password, then authenticator
// enrolment) with real time codes.
func (c *proxyClient) signIn(t *testing.T, username, password string) {
	t.Helper()
	st, loc, body := c.do(t, http.MethodPost, "/login", url.Values{"username": {username}, "password": {password}})
	for range 4 {
		if st == http.StatusOK && strings.Contains(body, `id="recovery-codes"`) {
			return // enrolment done: the page shows the recovery codes once
		}
		if st != http.StatusSeeOther {
			t.Fatalf("sign-in step = %d %q: %s", st, loc, body)
		}
		switch loc {
		case "/login/totp/enroll":
			_, _, page := c.do(t, http.MethodGet, loc, nil)
			m := totpSecretRE.FindStringSubmatch(page)
			if m == nil {
				t.Fatalf("no authenticator secret on the enrolment page: %s", page)
			}
			st, loc, body = c.do(t, http.MethodPost, loc, url.Values{"code": {auth.CodeAt(m[1], time.Now())}})
		default:
			if strings.HasPrefix(loc, "/staff") {
				return
			}
			t.Fatalf("sign-in stopped at %q: %s", loc, body)
		}
	}
	t.Fatal("sign-in did not finish")
}

// TestServersBehindHAProxy runs two `cityid serve` processes on one
// PostgreSQL database behind HAProxy (Debian's package, started by the test,
// round robin, forwarding the client address, which cityid believes from
// the proxy only: --trusted-proxy) and shows what a city running several
// app servers relies on:
//   - a staff session made through one server works on the other (the
//     sign-in steps themselves alternate between servers);
//   - a person applying on server B one second after applying on server A
//     is flagged as a possible duplicate (B's screening index follows A);
//   - the per-address login limit holds across servers: requests spread
//     over both get the limit once, not once per server;
//   - exactly one server runs the background jobs, and when it is killed
//     with SIGKILL the other takes them over; the survivor keeps serving
//     the signed-in clerk.
func TestServersBehindHAProxy(t *testing.T) {
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/haproxy"); serr != nil {
			t.Skip("haproxy is not installed (apt-get install haproxy); not run")
		}
		haproxy = "/usr/sbin/haproxy" // not on a non-root PATH
	}
	pg := newCluster(t)
	bin := binary(t)
	dir := filepath.Join(t.TempDir(), "data")
	// The proxy's port stays bound until HAProxy starts: a port chosen and
	// released at once can be handed to an app server started meanwhile,
	// and requests then go to that server directly, past the proxy.
	frontLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	front := frontLn.Addr().String()
	public := "http://" + front

	// A city's sites and some residents already on record.
	if out, err := exec.Command(bin, "demo", "--data", dir, "--db", pg.url(), "--residents", "30").CombinedOutput(); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	a := startServer(t, bin, dir, pg.url(), "a", public)
	// Both servers open one data directory: on real machines it is copied
	// (settings and master key) to each; the database is the shared state.
	b := startServer(t, bin, dir, pg.url(), "b", public)

	const password = "purple tractor sings quietly"
	add := exec.Command(bin, "user", "add", "--data", dir, "--db", pg.url(), "--username", "maria", "--role", "admin", "--password-stdin")
	add.Stdin = strings.NewReader(password + "\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	add = exec.Command(bin, "user", "add", "--data", dir, "--db", pg.url(), "--username", "rosa", "--role", "supervisor", "--site", "City Hall", "--password-stdin")
	add.Stdin = strings.NewReader(password + "\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}

	cfg := fmt.Sprintf(`global
  maxconn 200
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
frontend www
  bind %s
  option forwardfor
  default_backend cityid
backend cityid
  balance roundrobin
  # A request sent to a server that just died is retried on another one,
  # as a production proxy is set up to do.
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response
  option httpchk GET /readyz
  http-response set-header X-Served-By %%[srv_name]
  server a %s check inter 300ms fall 2 rise 1
  server b %s check inter 300ms fall 2 rise 1
`, front, a.addr, b.addr)
	cfgFile := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	hp := exec.Command(haproxy, "-db", "-f", cfgFile)
	var hpOut bytes.Buffer
	hp.Stdout, hp.Stderr = &hpOut, &hpOut
	frontLn.Close()
	if err := hp.Start(); err != nil {
		t.Fatal(err)
	}
	hpDone := make(chan struct{})
	var hpErr error
	go func() { hpErr = hp.Wait(); close(hpDone) }()
	t.Cleanup(func() { hp.Process.Kill(); <-hpDone })
	// Ready when HAProxy itself answers (its X-Served-By header): whatever
	// else might hold the port would not set it.
	waitFor(t, "HAProxy to serve /readyz", 30*time.Second, func() bool {
		select {
		case <-hpDone:
			t.Fatalf("HAProxy exited (%v):\n%s", hpErr, hpOut.String())
		default:
		}
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(public + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK && resp.Header.Get("X-Served-By") != ""
	})

	// Sessions move between servers.
	clerk := newProxyClient(public)
	clerk.signIn(t, "maria", password)
	for i := range 6 {
		if st, loc, _ := clerk.do(t, http.MethodGet, "/staff", nil); st != http.StatusOK {
			t.Fatalf("GET /staff #%d through the proxy = %d (to %q): the session did not hold on every server", i+1, st, loc)
		}
	}
	if !clerk.served["a"] || !clerk.served["b"] {
		t.Fatalf("requests were answered by %v; want both servers (round robin)", clerk.served)
	}

	// One limit across servers: the staff login limit per address is 10 a
	// minute; 14 bad logins from one address spread over two servers get
	// at most 10 answers before 429 (per-server limits would allow 14).
	// The 14 go at once, so the bucket cannot refill in between however
	// slow the machine (each answered login costs real argon2 time).
	type answer struct {
		status int
		by     string
	}
	answers := make(chan answer, 14)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for range 14 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			form := url.Values{"username": {"nobody"}, "password": {"wrong guess"}}
			req, _ := http.NewRequest(http.MethodPost, public+"/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-For", "198.51.100.7")
			resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
			if err != nil {
				answers <- answer{}
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			answers <- answer{resp.StatusCode, resp.Header.Get("X-Served-By")}
		}()
	}
	close(gate)
	wg.Wait()
	close(answers)
	answered, limited := 0, 0
	by := map[string]int{}
	for a := range answers {
		by[a.by]++
		switch a.status {
		case http.StatusTooManyRequests:
			limited++
		case http.StatusUnauthorized:
			answered++
		default:
			t.Errorf("a bad login answered %d", a.status)
		}
	}
	if by["a"] == 0 || by["b"] == 0 {
		t.Fatalf("bad logins were answered by %v; want both servers", by)
	}
	// Per-server limits would answer all 14 (7 a server, under 10 each).
	if answered > 10 || limited == 0 {
		t.Errorf("14 bad logins at once from one address over two servers %v: %d answered, %d limited; want at most 10 answered (one limit for all servers)",
			by, answered, limited)
	}
	// Another address is not held back by the first one's limit.
	other := newProxyClient(public)
	other.xff = "198.51.100.8"
	if st, _, _ := other.do(t, http.MethodPost, "/login", url.Values{"username": {"nobody"}, "password": {"wrong"}}); st != http.StatusUnauthorized {
		t.Errorf("a bad login from another address = %d, want 401 (limits are per client address behind the proxy)", st)
	}

	// A duplicate applied for on server B one second after the first
	// application on server A is caught: B's screening index follows A's
	// writes (the screening_changes feed), not only what it loaded at start.
	sup := newProxyClient(public)
	sup.signIn(t, "rosa", password)
	st, _, page := sup.do(t, http.MethodPost, "/staff/tokens", url.Values{"name": {"cluster test"}})
	token := apiTokenRE.FindString(page)
	if st != http.StatusOK || token == "" {
		t.Fatalf("POST /staff/tokens = %d, no token on the page", st)
	}
	photo := base64.StdEncoding.EncodeToString(apptest.Photo(t))
	submit := func(srv *appServer, key, line1 string) string {
		t.Helper()
		body := fmt.Sprintf(`{"submit": true, "idempotency_key": %q,
 "person": {"given_names": "Yolanda Beatriz", "first_surname": "Quiñones", "second_surname": "Mejía",
   "date_of_birth": "1979-02-11", "sex": "F", "language": "es",
   "address": {"line1": %q, "city": "New Haven", "state": "CT", "postal_code": "06511"}},
 "documents": [{"type": "consular_id", "expires": "2030-01-31"}, {"type": "lease"}],
 "payment": {"method": "cash"}, "photo": %q}`, key, line1, photo)
		req, _ := http.NewRequest(http.MethodPost, "http://"+srv.addr+"/api/v1/applications", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Status string `json:"status"`
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &out) != nil {
			t.Fatalf("POST /api/v1/applications on server %s = %d: %s", srv.name, resp.StatusCode, b)
		}
		return out.Status
	}
	if got := submit(a, "first-on-a", "12 Chapel St"); got != "submitted" {
		t.Fatalf("first application on server A: status %q, want submitted", got)
	}
	time.Sleep(time.Second)
	if got := submit(b, "again-on-b", "340 Ferry St Apt 2"); got != "needs_review" {
		t.Errorf("the same person (moved) applying on server B a second later: status %q, want needs_review (a possible duplicate for the supervisor)", got)
	}

	// One job leader, handed over when it dies.
	var leader, follower *appServer
	waitFor(t, "exactly one job leader", 30*time.Second, func() bool {
		la, lb := a.leading(), b.leading()
		switch {
		case la == 1 && lb == 0:
			leader, follower = a, b
		case la == 0 && lb == 1:
			leader, follower = b, a
		default:
			return false
		}
		return true
	})
	killed := time.Now()
	if err := leader.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	leader.cmd.Wait()
	waitFor(t, "server "+follower.name+" to take over the jobs", 30*time.Second, func() bool { return follower.leading() == 1 })
	t.Logf("server %s was killed; %s led the jobs %s later", leader.name, follower.name, time.Since(killed).Round(100*time.Millisecond))

	// The signed-in clerk keeps working on the survivor (HAProxy's health
	// check takes the dead server out).
	ok := 0
	waitFor(t, "HAProxy to route around the dead server", 20*time.Second, func() bool {
		if st, _, _ := clerk.do(t, http.MethodGet, "/staff", nil); st == http.StatusOK {
			ok++
		} else {
			ok = 0
		}
		return ok >= 3
	})
	for i := range 4 {
		if st, loc, _ := clerk.do(t, http.MethodGet, "/staff", nil); st != http.StatusOK {
			t.Errorf("GET /staff #%d after %s died = %d (to %q), want 200 from %s", i+1, leader.name, st, loc, follower.name)
		}
	}
	if t.Failed() {
		t.Logf("haproxy output:\n%s", hpOut.String())
	}
}
