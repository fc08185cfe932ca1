//go:build pkcs11

package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/credential/hsm"
	"github.com/cityid/cityid/internal/credential/hsm/hsmtest"
	"github.com/cityid/cityid/internal/credential/signing"
)

// TestCardsSignedOnHSM: with the PKCS#11 environment set, a new data
// directory's cards are signed by a key generated on the token, and the
// published key set carries it beside the file keyring's keys.
func TestCardsSignedOnHSM(t *testing.T) {
	module := hsmtest.NewToken(t)
	t.Setenv(hsm.EnvModule, module)
	t.Setenv(hsm.EnvToken, hsmtest.Label)
	t.Setenv(hsm.EnvPIN, hsmtest.PIN)
	t.Setenv(app.EnvPKCS11Key, "cards-2026")
	ctx := context.Background()
	opts := auth.DefaultOptions()
	opts.Argon = auth.TestParams()
	a, err := app.Open(ctx, app.Options{DataDir: filepath.Join(t.TempDir(), "data"), Create: true, Auth: &opts})
	if err != nil {
		t.Fatalf("app.Open with an HSM: %v", err)
	}
	defer a.Close() // closing twice is fine
	if a.Cards == nil {
		t.Fatal("no card service with an HSM configured")
	}
	rec := httptest.NewRecorder()
	a.Cards.JWKSHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))
	set, err := signing.ParseJWKS(rec.Body.Bytes())
	if err != nil {
		t.Fatalf("published JWKS: %v\n%s", err, rec.Body.String())
	}
	fileSet, err := a.Keyring.Published()
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Keys()) != len(fileSet.Keys())+1 {
		t.Fatalf("published %d keys, want the file keyring's %d plus the HSM key", len(set.Keys()), len(fileSet.Keys()))
	}
	extra := 0
	for _, k := range set.Keys() {
		if _, inFile := fileSet.Lookup(k.ID); !inFile {
			extra++
		}
	}
	if extra != 1 {
		t.Errorf("%d published keys are not the file keyring's, want exactly the HSM key", extra)
	}

	a.Close()

	// Rotate on the token: a new key signs, the old one stays published.
	t.Setenv(app.EnvPKCS11Key, "cards-2027")
	t.Setenv(app.EnvPKCS11Retired, "cards-2026")
	dir := a.DataDir
	a2, err := app.Open(ctx, app.Options{DataDir: dir, Create: true, Auth: &opts})
	if err != nil {
		t.Fatalf("app.Open after rotating on the HSM: %v", err)
	}
	defer a2.Close()
	rec = httptest.NewRecorder()
	a2.Cards.JWKSHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))
	set2, err := signing.ParseJWKS(rec.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(set2.Keys()) != len(fileSet.Keys())+2 {
		t.Errorf("after rotation %d keys published, want the file keys plus both HSM keys", len(set2.Keys()))
	}
}
