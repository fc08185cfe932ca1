package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/credential/claim169"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/site"
	"github.com/cityid/cityid/internal/verify"
)

// verifyEnv is a served API with one issued card: its QR payload and a
// supervisor's token.
type verifyEnv struct {
	api     *API
	ts      *httptest.Server
	token   string
	payload string
	// For the phone credential tests: the app, the card, its supervisor
	// and a clerk's token.
	app      *app.App
	cardID   string
	sup      auth.Actor
	clerkTok string
}

func newVerifyEnv(tb testing.TB) *verifyEnv {
	tb.Helper()
	ctx := context.Background()
	ao := auth.DefaultOptions()
	ao.Argon = auth.TestParams()
	a, err := app.Open(ctx, app.Options{DataDir: filepath.Join(tb.TempDir(), "d"), Create: true, Auth: &ao})
	if err != nil {
		tb.Fatalf("app.Open: %v", err)
	}
	tb.Cleanup(func() { a.Close() })
	x := New(a.Services, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ts := httptest.NewServer(x.Handler())
	tb.Cleanup(ts.Close)
	sys := auth.System()
	s, err := a.Sites.Create(ctx, sys, site.Site{Name: "City Hall", Kind: site.KindCityHall})
	if err != nil {
		tb.Fatal(err)
	}
	actor := func(user string, role auth.Role, siteID string) (auth.Actor, string) {
		st, err := a.Auth.CreateStaff(ctx, sys, auth.NewStaff{Username: user, Role: role, SiteID: siteID, Password: testPassword})
		if err != nil {
			tb.Fatal(err)
		}
		ac := auth.Actor{StaffID: st.ID, Username: st.Username, Role: st.Role, SiteID: st.SiteID}
		tok, _, err := a.Auth.CreateAPIToken(ctx, ac, "test")
		if err != nil {
			tb.Fatal(err)
		}
		return ac, tok
	}
	_, clerkTok := actor("clerk", auth.RoleClerk, s.ID)
	sup, supTok := actor("sup", auth.RoleSupervisor, "")
	img := image.NewRGBA(image.Rect(0, 0, 400, 500))
	for y := range 500 {
		for x := range 400 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var photo bytes.Buffer
	png.Encode(&photo, img)
	body, _ := json.Marshal(map[string]any{
		"submit": true, "idempotency_key": "verify-bench",
		"person": map[string]any{"given_names": "Zenobia", "first_surname": "Quetzalcóatl", "date_of_birth": "1988-04-17", "language": "es",
			"address": map[string]any{"line1": "123 Grand Ave", "city": "New Haven", "state": "CT", "postal_code": "06513"}},
		"documents": []map[string]any{{"type": "passport", "expires": "2031-01-01"}, {"type": "lease"}},
		"payment":   map[string]any{"method": "cash"},
		"photo":     base64.StdEncoding.EncodeToString(photo.Bytes()),
	})
	var created applicationJSON
	if r := post(tb, ts.URL+"/api/v1/applications", clerkTok, body); r.Status != http.StatusCreated || json.Unmarshal(r.Body, &created) != nil {
		tb.Fatalf("create application = %d %s", r.Status, r.Body)
	}
	if r := post(tb, ts.URL+"/api/v1/applications/"+created.ID+"/approve", supTok, []byte(`{}`)); r.Status != http.StatusOK {
		tb.Fatalf("approve = %d %s", r.Status, r.Body)
	}
	issuer, _ := actor("issuer", auth.RoleSupervisor, "") // four eyes: not the approver
	cd, err := a.Cards.Issue(ctx, issuer, created.ID)
	if err != nil {
		tb.Fatal(err)
	}
	payload, err := a.Cards.QRPayload(ctx, sup, cd.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return &verifyEnv{api: x, ts: ts, token: supTok, payload: payload, app: a, cardID: cd.ID, sup: sup, clerkTok: clerkTok}
}

func post(tb testing.TB, url, token string, body []byte) apiResp {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return apiResp{Status: res.StatusCode, Body: b}
}

func TestVerifyEndpoint(t *testing.T) {
	e := newVerifyEnv(t)
	body, _ := json.Marshal(VerifyRequest{Payload: e.payload})
	tampered, _ := json.Marshal(VerifyRequest{Payload: e.payload[:len(e.payload)-4] + "0000"})
	tests := []struct {
		name       string
		token      string
		body       []byte
		status     int
		wantValid  bool
		wantReason string
		// An unreadable photo is "could not read", never a verdict on the card.
		wantOutcome string
	}{
		{"valid", e.token, body, http.StatusOK, true, "", verify.OutcomeValid},
		{"tampered", e.token, tampered, http.StatusOK, false, "", verify.OutcomeNotGenuine},
		{"no token", "", body, http.StatusUnauthorized, false, "", ""},
		{"bad token", "cid_nope", body, http.StatusUnauthorized, false, "", ""},
		{"too long", e.token, []byte(`{"payload":"` + strings.Repeat("A", claim169.MaxPayloadLen+1) + `"}`), http.StatusOK, false, verify.ReasonTooLarge, verify.OutcomeNotGenuine},
		{"not an image", e.token, []byte(`{"image":"` + base64.StdEncoding.EncodeToString([]byte("hello")) + `"}`), http.StatusOK, false, verify.ReasonUnreadable, verify.OutcomeUnreadable},
		{"photo without a code", e.token, []byte(`{"image":"` + base64.StdEncoding.EncodeToString(blankPNG(t)) + `"}`), http.StatusOK, false, verify.ReasonNoQR, verify.OutcomeUnreadable},
		{"empty", e.token, []byte(`{}`), http.StatusBadRequest, false, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, e.ts.URL+"/api/v1/verify", tc.token, tc.body)
			if r.Status != tc.status {
				t.Fatalf("POST /api/v1/verify = %d %s, want %d", r.Status, r.Body, tc.status)
			}
			if r.Status != http.StatusOK {
				return
			}
			var res verify.Result
			if err := json.Unmarshal(r.Body, &res); err != nil {
				t.Fatal(err)
			}
			if res.Valid != tc.wantValid || (tc.wantReason != "" && res.Reason != tc.wantReason) || (!res.Valid && res.Reason == "") {
				t.Errorf("result = valid %v reason %q, want valid %v reason %q", res.Valid, res.Reason, tc.wantValid, tc.wantReason)
			}
			if res.Outcome != tc.wantOutcome || (tc.wantOutcome == verify.OutcomeUnreadable) != (res.Advice == verify.AdviceRetake) {
				t.Errorf("outcome %q advice %q, want %q (advice %q only when unreadable)", res.Outcome, res.Advice, tc.wantOutcome, verify.AdviceRetake)
			}
		})
	}
}

// blankPNG is a grey picture with no code in it.
func blankPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 300, 200))
	for i := range img.Pix {
		img.Pix[i] = 0x90
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestVerifyRateLimit(t *testing.T) {
	e := newVerifyEnv(t)
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	e.api.verifyLimit = newVerifyLimiter(func() time.Time { return now })
	body, _ := json.Marshal(VerifyRequest{Payload: e.payload})
	for i := range verifyBurst {
		if r := post(t, e.ts.URL+"/api/v1/verify", e.token, body); r.Status != http.StatusOK {
			t.Fatalf("request %d within the burst = %d, want 200", i+1, r.Status)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/api/v1/verify", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "1" {
		t.Errorf("request past the burst = %d, Retry-After %q; want 429, 1", res.StatusCode, res.Header.Get("Retry-After"))
	}
	now = now.Add(time.Second) // 600/min: 10 tokens back
	if r := post(t, e.ts.URL+"/api/v1/verify", e.token, body); r.Status != http.StatusOK {
		t.Errorf("a second later = %d, want 200", r.Status)
	}
}

// FuzzParseVerifyRequest: any body gives a payload to verify, a reason
// code, or an API error; never a panic, never more than a card's payload.
func FuzzParseVerifyRequest(f *testing.F) {
	for _, s := range []string{`{"payload":"NCF3QBXJA5NJRCOC004 QN4"}`, `{"image":"iVBORw0KGgo="}`, `{}`, `{"payload":"a","image":"b"}`,
		`{"payload":1}`, `[]`, `{"payload":"x"} {}`, `{"image":"` + strings.Repeat("/", 40) + `"}`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		payload, _, reason, err := ParseVerifyRequest(body)
		var ae *httplayer.Error
		switch {
		case err != nil:
			if !errors.As(err, &ae) || ae.Status < 400 || ae.Status >= 500 || ae.Key == "" {
				t.Fatalf("ParseVerifyRequest(%q) err = %v, want a 4xx API error", body, err)
			}
			if payload != "" || reason != "" {
				t.Fatalf("ParseVerifyRequest(%q) = %q, %q with an error", body, payload, reason)
			}
		case reason != "":
			known := []string{verify.ReasonTooLarge, verify.ReasonImageTooBig, verify.ReasonNoQR, verify.ReasonUnreadable}
			if payload != "" || !slices.Contains(known, reason) {
				t.Fatalf("ParseVerifyRequest(%q) = %q, reason %q", body, payload, reason)
			}
		case payload == "" || len(payload) > claim169.MaxPayloadLen:
			t.Fatalf("ParseVerifyRequest(%q) = payload of %d bytes, want 1..%d", body, len(payload), claim169.MaxPayloadLen)
		}
	})
}

// BenchmarkAPIVerify measures POST /api/v1/verify over loopback with
// parallel clients (the per-token limit is lifted: it would cap the rate
// at 600/min): requests per second and the 99th-percentile latency.
func BenchmarkAPIVerify(b *testing.B) {
	e := newVerifyEnv(b)
	e.api.verifyLimit = nil
	body, _ := json.Marshal(VerifyRequest{Payload: e.payload})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	var mu sync.Mutex
	var lat []time.Duration
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			t0 := time.Now()
			req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/api/v1/verify", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+e.token)
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			var r verify.Result
			err = json.NewDecoder(res.Body).Decode(&r)
			res.Body.Close()
			if err != nil || !r.Valid {
				b.Errorf("verify = %d valid %v (%v)", res.StatusCode, r.Valid, err)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// TestSetVerifyRate: a partner's budget can be set; 12 a minute allows a
// burst of 2, then refuses.
func TestSetVerifyRate(t *testing.T) {
	e := newVerifyEnv(t)
	e.api.SetVerifyRate(12)
	body, _ := json.Marshal(VerifyRequest{Payload: e.payload})
	for i := range 2 {
		if r := post(t, e.ts.URL+"/api/v1/verify", e.token, body); r.Status != http.StatusOK {
			t.Fatalf("request %d within the burst of 2 = %d, want 200", i+1, r.Status)
		}
	}
	if r := post(t, e.ts.URL+"/api/v1/verify", e.token, body); r.Status != http.StatusTooManyRequests {
		t.Errorf("third request at 12/min = %d, want 429", r.Status)
	}
}
