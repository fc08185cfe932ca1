package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuf is stdout shared with the serving goroutine.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// selfSigned writes a certificate and key for 127.0.0.1 and returns their paths and a pool trusting it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cityid test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// serveFor runs `cityid serve args…` until the test ends and returns the staff URL it prints.
func serveFor(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuf{}
	done := make(chan error, 1)
	go func() {
		done <- cmdServe(ctx, IO{In: strings.NewReader(""), Out: out, Err: &syncBuf{}}, append([]string{"--data", ownCityDir(t), "--addr", "127.0.0.1:0"}, args...))
	}()
	t.Cleanup(func() { cancel(); <-done })
	re := regexp.MustCompile(`staff URL: (\S+)/staff/`)
	for range 300 {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v\n%s", err, out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("serve printed no staff URL:\n%s", out.String())
	return ""
}

// TestServeTLS: serve --tls-cert/--tls-key answers HTTPS itself, and with
// TLS the session and language cookies are Secure and HSTS is sent.
func TestServeTLS(t *testing.T) {
	cert, key, pool := selfSigned(t)
	base := serveFor(t, "--tls-cert", cert, "--tls-key", key)
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("staff URL %q, want https", base)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(base + "/lang/es?next=/staff")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if h := res.Header.Get("Strict-Transport-Security"); !strings.Contains(h, "max-age=") {
		t.Errorf("Strict-Transport-Security = %q, want HSTS over TLS", h)
	}
	if ck := res.Header.Get("Set-Cookie"); !strings.Contains(ck, "Secure") {
		t.Errorf("Set-Cookie = %q, want Secure over TLS", ck)
	}
	// Plain HTTP on the TLS port gets Go's 400 refusal, never a page.
	if r, err := http.Get(strings.Replace(base, "https://", "http://", 1) + "/healthz"); err == nil {
		r.Body.Close()
		if r.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP on the TLS port = %d, want 400", r.StatusCode)
		}
	}
}

// TestServeHTTPSPublicURLImpliesSecure: behind a TLS-terminating proxy an
// https --public-url alone makes cookies Secure and sends HSTS.
func TestServeHTTPSPublicURLImpliesSecure(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	out := &syncBuf{}
	done := make(chan error, 1)
	go func() {
		done <- cmdServe(ctx, IO{In: strings.NewReader(""), Out: out, Err: &syncBuf{}},
			[]string{"--data", ownCityDir(t), "--addr", addr, "--public-url", "https://id.springfield.gov"})
	}()
	defer func() { cancel(); <-done }()
	var res *http.Response
	for range 300 {
		r, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get("http://" + addr + "/lang/es?next=/staff")
		if err == nil {
			res = r
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if res == nil {
		t.Fatalf("serve did not answer:\n%s", out.String())
	}
	res.Body.Close()
	if ck := res.Header.Get("Set-Cookie"); !strings.Contains(ck, "Secure") {
		t.Errorf("Set-Cookie = %q, want Secure with an https public URL", ck)
	}
	if h := res.Header.Get("Strict-Transport-Security"); h == "" {
		t.Errorf("no HSTS with an https public URL")
	}
}
