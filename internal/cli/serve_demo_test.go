package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/config"
)

// serve --demo loads synthetic residents only into an empty database: on
// one that holds people it stops with a clear error and loads nothing.
func TestServeDemoRefusesDatabaseWithPeople(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	var out bytes.Buffer
	if code := Run(context.Background(), IO{In: strings.NewReader(""), Out: &out, Err: &out}, []string{"demo", "--data", dir, "--residents", "3"}); code != 0 {
		t.Fatalf("demo = %d: %s", code, out.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errOut bytes.Buffer
	code := Run(ctx, IO{In: strings.NewReader(""), Out: io.Discard, Err: &errOut}, []string{"serve", "--data", dir, "--addr", "127.0.0.1:0", "--demo", "--demo-residents", "2"})
	if code == 0 || ctx.Err() != nil {
		t.Fatalf("serve --demo on a database with people = exit %d (context %v), want a refusal", code, ctx.Err())
	}
	if msg := errOut.String(); !strings.Contains(msg, "already holds people") || !strings.Contains(msg, "start without --demo") {
		t.Errorf("refusal does not say what to do: %q", msg)
	}
}

// The first start on a public address stops while program.issuer_url is
// still the example city's, and says what to change; on this machine only
// (127.0.0.1) it starts, for trying cityid out.
func TestServeRefusesExampleIssuerOnPublicFirstStart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errOut bytes.Buffer
	code := Run(ctx, IO{In: strings.NewReader(""), Out: io.Discard, Err: &errOut}, []string{"serve", "--data", dir, "--addr", "0.0.0.0:0"})
	if code == 0 || ctx.Err() != nil {
		t.Fatalf("serve on 0.0.0.0 with the example issuer_url = exit %d (context %v), want a refusal", code, ctx.Err())
	}
	if msg := errOut.String(); !strings.Contains(msg, "program.issuer_url") || !strings.Contains(msg, "https://id.newhavenct.gov") || !strings.Contains(msg, "your program's own web address") {
		t.Errorf("refusal does not say what to change: %q", msg)
	}
	if !loopback("127.0.0.1:8080") || !loopback("[::1]:80") || !loopback("localhost:1") || loopback("0.0.0.0:80") || loopback(":8080") || loopback("id.city.gov") {
		t.Error("loopback misjudges an address")
	}
}

// ownCityDir is a data directory whose settings name the city's own issuer
// URL, as a program's do before its first public start.
func ownCityDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "d")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	text, err := config.ProfileText(config.DefaultProfile)
	if err != nil {
		t.Fatal(err)
	}
	own := strings.Replace(string(text), `issuer_url = "https://id.newhavenct.gov"`, `issuer_url = "https://id.springfield.gov"`, 1)
	if own == string(text) {
		t.Fatal("the default profile's issuer_url line moved")
	}
	if err := os.WriteFile(filepath.Join(dir, app.SettingsFile), []byte(own), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}
