package api

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/field/wire"
)

func (e *apiEnv) fieldDo(t *testing.T, method, path, contentType, lang string, body []byte, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

// A station enrols, is approved, uploads a packet twice (one application)
// and a cut-off packet (quarantined, the reason in Spanish), all without a
// token.
func TestFieldEndpoints(t *testing.T) {
	e := newAPIEnv(t)
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := json.Marshal(wire.EnrolRequest{Name: "St. Rose church", PublicKey: pub})
	var enr wire.Enrolment
	if code := e.fieldDo(t, "POST", wire.EnrolPath, "application/json", "", req, &enr); code != http.StatusAccepted || enr.Status != wire.StatusPending {
		t.Fatalf("enrol = %d %+v, want 202 pending", code, enr)
	}
	if enr.Code != wire.Code(pub) {
		t.Fatalf("code = %s, want %s", enr.Code, wire.Code(pub))
	}
	if code := e.fieldDo(t, "POST", wire.EnrolPath, "application/json", "", req, &enr); code != http.StatusOK {
		t.Fatalf("enrolling the same key again = %d, want 200", code)
	}
	if code := e.fieldDo(t, "GET", wire.StationPath+enr.StationID, "", "", nil, &enr); code != http.StatusOK || enr.PacketKey != nil {
		t.Fatalf("pending enrolment = %d %+v, want no packet key yet", code, enr)
	}
	sup := apptest.Staff(t, e.app, "fieldsup", auth.RoleSupervisor, e.siteA.ID)
	if err := e.app.Field.Approve(context.Background(), sup, enr.StationID, e.siteA.ID); err != nil {
		t.Fatal(err)
	}
	if code := e.fieldDo(t, "GET", wire.StationPath+enr.StationID, "", "", nil, &enr); code != http.StatusOK || enr.PacketKey == nil ||
		!strings.Contains(string(enr.SigningKeys), `"keys"`) {
		t.Fatalf("approved enrolment = %d %+v, want the packet key and the signing keys", code, enr)
	}
	city, err := ecdh.X25519().NewPublicKey(enr.PacketKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	st := &apptest.Station{ID: enr.StationID, Key: key, City: city}
	sealed := st.Seal(t, apptest.FieldIntake(t, "Killa"), time.Now(), "K7QM-4XPA-2RTW")
	for i, want := range []string{wire.ResultImported, wire.ResultAlreadyImported} {
		var up wire.Upload
		if code := e.fieldDo(t, "POST", wire.PacketsPath, "application/octet-stream", "", sealed, &up); code != http.StatusOK || up.Result != want {
			t.Fatalf("upload %d = %d %+v, want 200 %s", i+1, code, up, want)
		}
	}
	var q struct {
		wire.Upload
		Error struct{ Code, Message string }
	}
	if code := e.fieldDo(t, "POST", wire.PacketsPath, "application/octet-stream", "es", sealed[:len(sealed)-10], &q); code != http.StatusUnprocessableEntity ||
		q.Result != wire.ResultQuarantined || q.Reason != "truncated" || !strings.Contains(q.Error.Message, "incompleto") {
		t.Fatalf("cut-off upload = %d %+v, want 422 quarantined truncated, in Spanish", code, q)
	}
	if code := e.fieldDo(t, "POST", wire.PacketsPath, "application/octet-stream", "", make([]byte, wire.MaxPacketBytes+1), nil); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized upload = %d, want 413", code)
	}
	var bad struct {
		Error struct{ Fields []struct{ Field string } }
	}
	req, _ = json.Marshal(wire.EnrolRequest{Name: "", PublicKey: []byte{1, 2}})
	if code := e.fieldDo(t, "POST", wire.EnrolPath, "application/json", "", req, &bad); code != http.StatusUnprocessableEntity || len(bad.Error.Fields) != 2 {
		t.Fatalf("bad enrolment = %d %+v, want 422 with two field errors", code, bad)
	}
}
