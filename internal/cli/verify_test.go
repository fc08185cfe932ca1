package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/draw"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/card/render"
	"github.com/cityid/cityid/internal/cardphoto"
	"github.com/cityid/cityid/internal/credential/claim169"
	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/credential/statuslist"
	"github.com/cityid/cityid/internal/vault"
	"github.com/cityid/cityid/internal/verify"
)

// keyedDataDir makes a data directory with a master key and one rotated
// signing key, and returns it with the exported JWK set file and the signer.
func keyedDataDir(t *testing.T) (dir, jwks string, s signing.Signer) {
	t.Helper()
	dir = t.TempDir()
	if err := vault.CreateKeyFile(filepath.Join(dir, app.KeyFile), rand.Reader); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	stdio := IO{In: strings.NewReader(""), Out: &out, Err: &errOut}
	if err := cmdKeys(context.Background(), stdio, []string{"rotate", "--data", dir}); err != nil {
		t.Fatalf("keys rotate: %v (%s)", err, errOut.String())
	}
	jwks = filepath.Join(dir, "jwks.json")
	if err := cmdKeys(context.Background(), stdio, []string{"export-public", "--data", dir, "--out", jwks}); err != nil {
		t.Fatalf("keys export-public: %v", err)
	}
	unlock, err := keyringUnlock(app.Options{DataDir: dir}, "")
	if err != nil {
		t.Fatal(err)
	}
	kr, err := signing.OpenKeyring(filepath.Join(dir, signing.KeyringFile), unlock, rand.Reader, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if s, err = kr.Active(); err != nil {
		t.Fatal(err)
	}
	return dir, jwks, s
}

func runVerify(t *testing.T, stdin string, args ...string) (map[string]any, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := cmdVerify(context.Background(), IO{In: strings.NewReader(stdin), Out: &out, Err: &errOut}, args)
	if errors.Is(err, errUsage) {
		return nil, err
	}
	var res map[string]any
	if jerr := json.Unmarshal(out.Bytes(), &res); jerr != nil {
		t.Fatalf("verify printed %q (stderr %q), not one JSON object: %v", out.String(), errOut.String(), jerr)
	}
	return res, err
}

func TestVerifyCommand(t *testing.T) {
	_, jwks, s := keyedDataDir(t)
	now := time.Now().UTC().Truncate(time.Second)
	payload, err := claim169.Encode(claim169.Claims{ID: "NHV-9", FullName: "Ana Ruiz", DateOfBirth: "19900102"},
		claim169.Meta{Issuer: "https://id.example.gov", IssuedAt: now, NotBefore: now, ExpiresAt: now.AddDate(5, 0, 0)}, s, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	qr, _, err := claim169.QRCode(payload)
	if err != nil {
		t.Fatal(err)
	}
	photo := image.NewGray(image.Rect(0, 0, qr.Bounds().Dx()*6, qr.Bounds().Dy()*6))
	draw.NearestNeighbor.Scale(photo, photo.Bounds(), qr, qr.Bounds(), draw.Src, nil)
	dir := t.TempDir()
	qrFile := writePNG(t, dir, "card.png", photo)
	blank := writePNG(t, dir, "blank.png", image.NewGray(image.Rect(0, 0, 200, 200)))
	huge := filepath.Join(dir, "huge.png")
	if err := os.WriteFile(huge, pngHeader(30000, 30000), 0o600); err != nil {
		t.Fatal(err)
	}
	tampered := []byte(payload)
	tampered[len(tampered)/2] ^= 'A' ^ 'B'
	if tampered[len(tampered)/2] == payload[len(payload)/2] {
		tampered[len(tampered)/2] = 'C'
	}
	tests := []struct {
		name   string
		stdin  string
		args   []string
		valid  bool
		reason string
		exit   int // for an invalid result: 1 judged not valid, 3 could not read the code
	}{
		{"payload argument", "", []string{"--keys", jwks, payload}, true, "", 0},
		{"standard input", payload + "\n", []string{"--keys", jwks, "-"}, true, "", 0},
		{"photo of the card", "", []string{"--keys", jwks, qrFile}, true, "", 0},
		{"tampered", "", []string{"--keys", jwks, string(tampered)}, false, "", 1},
		{"expired at --at", "", []string{"--keys", jwks, "--at", now.AddDate(6, 0, 0).Format(time.RFC3339), payload}, false, "expired", 1},
		{"no QR in photo", "", []string{"--keys", jwks, blank}, false, reasonNoQR, exitVerifyUnreadable},
		{"huge image", "", []string{"--keys", jwks, huge}, false, reasonImageTooBig, exitVerifyUnreadable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := runVerify(t, tc.stdin, tc.args...)
			var ee exitError
			if tc.valid && err != nil || !tc.valid && (!errors.As(err, &ee) || ee.code != tc.exit) {
				t.Fatalf("verify returned %v, want valid=%v (exit 0 or %d)", err, tc.valid, tc.exit)
			}
			if res["valid"] != tc.valid {
				t.Errorf("valid = %v, want %v (%v)", res["valid"], tc.valid, res)
			}
			if tc.reason != "" && res["reason"] != tc.reason {
				t.Errorf("reason = %v, want %s", res["reason"], tc.reason)
			}
			if tc.valid {
				claims, _ := res["claims"].(map[string]any)
				if claims["fullName"] != "Ana Ruiz" || res["status"] != "not_checked" || res["keyId"] != s.KeyID() {
					t.Errorf("result %v lacks the name, status not_checked or key id %s", res, s.KeyID())
				}
			}
		})
	}
	if _, err := runVerify(t, "", payload); !errors.Is(err, errUsage) {
		t.Errorf("verify without --keys = %v, want a usage error", err)
	}
	if _, err := runVerify(t, "", "--keys", jwks, "--at", "yesterday", payload); !errors.Is(err, errUsage) {
		t.Errorf("verify --at yesterday = %v, want a usage error", err)
	}
}

// TestVerifyCommandChecksStatus: a card that names a status list has its
// status checked by default; a list that cannot be fetched is "could not
// check" (exit 4), not "valid"; --offline says so explicitly; plain-http
// keys are refused.
func TestVerifyCommandChecksStatus(t *testing.T) {
	_, jwks, s := keyedDataDir(t)
	now := time.Now().UTC().Truncate(time.Second)
	list, err := statuslist.New(2, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if err := list.Set(5, statuslist.Invalid); err != nil {
		t.Fatal(err)
	}
	var uri string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, err := statuslist.SignJWT(list, uri, now, now.Add(24*time.Hour), time.Hour, signing.Bind(s, rand.Reader))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", statuslist.JWTContentType)
		w.Write(tok)
	}))
	defer srv.Close()
	uri = srv.URL + "/status/1"
	down := httptest.NewServer(http.NotFoundHandler())
	downURI := down.URL + "/status/1"
	down.Close()
	card := func(listURI string, idx int64) string {
		p, err := claim169.Encode(claim169.Claims{ID: "NHV-9", FullName: "Ana Ruiz"},
			claim169.Meta{IssuedAt: now, NotBefore: now, ExpiresAt: now.AddDate(5, 0, 0), Status: &claim169.StatusRef{URI: listURI, Index: idx}}, s, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		args    []string
		exit    int
		valid   bool
		status  string
		outcome string
	}{
		{"listed valid", []string{"--keys", jwks, card(uri, 1)}, 0, true, "valid", "valid"},
		{"listed revoked", []string{"--keys", jwks, card(uri, 5)}, 1, false, "revoked", "invalid"},
		{"list unreachable", []string{"--keys", jwks, card(downURI, 1)}, exitVerifyUnchecked, false, "unavailable", "unknown"},
		{"offline on purpose", []string{"--keys", jwks, "--offline", card(downURI, 1)}, 0, true, "not_checked", "valid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := runVerify(t, "", tc.args...)
			var ee exitError
			switch {
			case tc.exit == 0 && err != nil, tc.exit != 0 && (!errors.As(err, &ee) || ee.code != tc.exit):
				t.Fatalf("verify returned %v, want exit %d", err, tc.exit)
			}
			if res["valid"] != tc.valid || res["status"] != tc.status || res["outcome"] != tc.outcome {
				t.Errorf("result valid=%v status=%v outcome=%v, want %v %s %s", res["valid"], res["status"], res["outcome"], tc.valid, tc.status, tc.outcome)
			}
		})
	}
	if _, err := runVerify(t, "", "--keys", "http://id.example.gov/.well-known/jwks.json", card(uri, 1)); !errors.Is(err, errUsage) {
		t.Errorf("verify --keys http://… = %v, want a usage error (plain http is a trust-anchor substitution)", err)
	}
	if _, err := runVerify(t, "", "--keys", jwks, "--offline", "--status", "list.jwt", card(uri, 1)); !errors.Is(err, errUsage) {
		t.Errorf("verify --offline --status = %v, want a usage error", err)
	}
}

func TestKeysCommand(t *testing.T) {
	dir, _, first := keyedDataDir(t)
	var out bytes.Buffer
	stdio := IO{In: strings.NewReader(""), Out: &out, Err: &out}
	if err := cmdKeys(context.Background(), stdio, []string{"rotate", "--data", dir, "--alg", "EdDSA"}); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := cmdKeys(context.Background(), stdio, []string{"list", "--data", dir}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], first.KeyID()) || !strings.Contains(lines[1], "retired") ||
		!strings.Contains(lines[2], "EdDSA") || !strings.Contains(lines[2], "active") {
		t.Errorf("keys list =\n%s\nwant the first key retired and an active EdDSA key", out.String())
	}
	out.Reset()
	if err := cmdKeys(context.Background(), stdio, []string{"export-public", "--data", dir, "--cose"}); err != nil {
		t.Fatal(err)
	}
	set, err := signing.ParseCOSE(out.Bytes())
	if err != nil || len(set.Keys()) != 2 {
		t.Fatalf("export-public --cose gave %d keys, %v; want 2", len(set.Keys()), err)
	}
	t.Setenv("CITYID_TEST_PASS", "")
	if err := cmdKeys(context.Background(), stdio, []string{"rotate", "--data", dir, "--passphrase-env", "CITYID_TEST_PASS"}); err == nil {
		t.Error("rotate with an empty passphrase variable succeeded")
	}
	if err := cmdKeys(context.Background(), stdio, []string{"frobnicate"}); !errors.Is(err, errUsage) {
		t.Errorf("keys frobnicate = %v, want a usage error", err)
	}
}

func writePNG(t *testing.T, dir, name string, img image.Image) string {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// pngHeader returns just a PNG signature and IHDR claiming w x h pixels:
// enough for DecodeConfig, and a file no one should try to decode.
func pngHeader(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit grayscale
	chunk := append([]byte("IHDR"), ihdr...)
	b := []byte("\x89PNG\r\n\x1a\n")
	b = binary.BigEndian.AppendUint32(b, 13)
	b = append(b, chunk...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(chunk))
}

// TestVerifyCommandPhoto: `cityid verify IMAGE` reads a phone photo of a
// real card back with the verifier page's decoder — a genuine card at a 4°
// tilt, slightly blurred, filling half the frame is valid (the issue's
// teller photo) — and, when the QR is covered, reports the PDF417's card
// number as "could not read the code" (exit 3), never as not genuine.
func TestVerifyCommandPhoto(t *testing.T) {
	_, jwks, s := keyedDataDir(t)
	r, err := render.New(cardphoto.Style())
	if err != nil {
		t.Fatal(err)
	}
	c, err := cardphoto.Sample(r, s, rand.Reader, 3, cardphoto.Face{})
	if err != nil {
		t.Fatal(err)
	}
	teller := cardphoto.Params{FrameW: 4000, FrameH: 3000, Fill: 0.5, Rotate: 4, TiltX: 3, TiltY: -2,
		Blur: 1.2, Light: 0.9, Uneven: 0.15, Warm: 0.3, Noise: 3, Quality: 85, Background: cardphoto.Table, Seed: 4}
	photo := func(name string, back image.Image) string {
		t.Helper()
		jpg, err := cardphoto.Photo(back, teller)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, jpg, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	covered := image.NewRGBA(c.Back.Bounds())
	draw.Copy(covered, image.Point{}, c.Back, c.Back.Bounds(), draw.Src, nil)
	b := covered.Bounds()
	// The QR sits below the PDF417 on the left: a sticker over all of it.
	draw.Draw(covered, image.Rect(0, b.Dy()*46/100, b.Dx()*35/100, b.Dy()), image.NewUniform(color.RGBA{0xe8, 0xe4, 0xd8, 0xff}), image.Point{}, draw.Src)

	// The sample card names a status list on a host that does not exist
	// here; --offline keeps the test to the photo.
	at := "2030-06-01T12:00:00Z"
	res, err := runVerify(t, "", "--keys", jwks, "--offline", "--at", at, photo("teller.jpg", c.Back))
	if err != nil || res["outcome"] != verify.OutcomeValid {
		t.Errorf("teller's photo: exit %v, result %v; want valid", err, res)
	}
	res, err = runVerify(t, "", "--keys", jwks, "--offline", "--at", at, photo("covered.jpg", covered))
	var ee exitError
	if !errors.As(err, &ee) || ee.code != exitVerifyUnreadable {
		t.Errorf("QR covered: exit %v, want %d (could not read the code)", err, exitVerifyUnreadable)
	}
	bc, _ := res["barcode"].(map[string]any)
	if res["outcome"] != verify.OutcomeUnreadable || res["advice"] != verify.AdviceRetake || res["valid"] != false || bc["number"] != c.Number {
		t.Errorf("QR covered: result %v; want unreadable, retake, barcode number %s", res, c.Number)
	}
}
