package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/checkpoint"
	"github.com/cityid/cityid/internal/store"
)

// deniedReads counts denied application.read events for id.
func deniedReads(t *testing.T, e *env, action, id string) int {
	t.Helper()
	events, err := e.app.DB.AuditEvents(context.Background(), audit.Filter{Action: action, RecordID: id, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range events {
		if ev.Outcome == audit.OutcomeDenied {
			n++
		}
	}
	return n
}

func TestGuessedIDsRefusedAndAudited(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, "clerka", auth.RoleClerk, e.siteA.ID)
	e.addStaff(t, "clerkb", auth.RoleClerk, e.siteB.ID)
	ca := e.signIn(t, "clerka", testPassword)
	id := submitted(t, ca, "guess")
	cb := e.signIn(t, "clerkb", testPassword)
	tokB := e.token(t, "clerkb")
	for _, guess := range []string{id, "app_aaaaaaaaaaaaaaaa", "app_" + strings.Repeat("z", 16)} {
		for _, path := range []string{"/staff/applications/" + guess, "/staff/applications/" + guess + "/receipt?purpose=receipt",
			"/staff/applications/" + guess + "/access"} {
			r := cb.get(t, path)
			if r.Status != http.StatusNotFound && r.Status != http.StatusForbidden {
				t.Errorf("clerk of site B GET %s = %d, want 403 or 404", path, r.Status)
			}
			if strings.Contains(r.Body, "Zenobia") {
				t.Errorf("clerk of site B sees the name on %s", path)
			}
		}
		r := e.apiGet(t, tokB, "/api/v1/applications/"+guess+"?purpose=receipt")
		if r.Status != http.StatusNotFound && r.Status != http.StatusForbidden || strings.Contains(r.Body, "Zenobia") {
			t.Errorf("API GET %s by clerk of site B = %d", guess, r.Status)
		}
		if n := deniedReads(t, e, "application.read", guess); n < 3 {
			t.Errorf("denied reads recorded for %s = %d, want at least 3 (two pages, the API)", guess, n)
		}
		if n := deniedReads(t, e, "application.access_export", guess); n != 1 {
			t.Errorf("denied access exports recorded for %s = %d, want 1", guess, n)
		}
	}
}

func TestAuditorGetsNoPersonalData(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	e.addStaff(t, "sup1", auth.RoleSupervisor, "")
	e.addStaff(t, "aud1", auth.RoleAuditor, "")
	id := submitted(t, e.signIn(t, "clerk1", testPassword), "aud-scan")
	cs := e.signIn(t, "sup1", testPassword)
	if r := cs.post(t, "/staff/applications/"+id+"/approve", url.Values{"note": {"Zenobia checked"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("approve = %d", r.Status)
	}
	ca := e.signIn(t, "aud1", testPassword)
	tok := e.token(t, "aud1")
	pages := []string{"/staff", "/staff/audit", "/staff/audit/verify", "/staff/audit?record_id=" + id, "/staff/stats",
		"/staff/stats?format=csv", "/staff/tokens", "/staff/applications", "/staff/applications/" + id,
		"/staff/applications/" + id + "?purpose=fraud_review", "/staff/applications/" + id + "/access",
		"/staff/applications/" + id + "/receipt?purpose=receipt", "/staff/queue", "/staff/search"}
	apis := []string{"/api/v1/me", "/api/v1/audit?limit=1000", "/api/v1/stats", "/api/v1/stats?format=csv",
		"/api/v1/applications", "/api/v1/applications/" + id + "?purpose=fraud_review", "/api/v1/staff", "/api/v1/sites"}
	reached := 0
	check := func(where string, r resp) {
		if r.Status == http.StatusOK {
			reached++
		}
		for _, pii := range testPII {
			if strings.Contains(r.Body, pii) {
				t.Errorf("auditor %s (%d) contains %q", where, r.Status, pii)
			}
		}
	}
	for _, p := range pages {
		check("page "+p, ca.get(t, p))
	}
	for _, p := range apis {
		check("API "+p, e.apiGet(t, tok, p))
	}
	if r := ca.post(t, "/staff/search", url.Values{"given_names": {"Zenobia"}, "surnames": {"Quetzalcóatl Ibarra"},
		"date_of_birth": {"1988-04-17"}, "purpose": {"fraud_review"}}); r.Status != http.StatusForbidden || strings.Contains(r.Body, id) {
		t.Errorf("auditor search = %d, want 403 without results", r.Status)
	}
	if reached < 8 {
		t.Errorf("the auditor reached only %d pages and endpoints; the scan proves little", reached)
	}
}

// handedOver marks id issued with a card handed over long ago, as the card
// service would: a cardholder's record.
func handedOver(t *testing.T, e *env, id string) {
	t.Helper()
	ctx := context.Background()
	row, err := e.app.DB.Application(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	long := e.clk.Now().AddDate(-1, 0, 0)
	err = e.app.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetApplicationStatus(ctx, id, "approved", "issued", "", row.DecidedBy, nil, long); err != nil {
			return err
		}
		if err := tx.InsertStatusList(ctx, card.StatusListRecord{ID: "sl_t", URI: "https://x/sl_t", Bits: 1, Size: 8, Compressed: []byte{0},
			Version: 1, CreatedAt: long, UpdatedAt: long}); err != nil {
			return err
		}
		return tx.InsertCard(ctx, card.Record{ID: "crd_t", Number: "1", ApplicationID: id, PersonID: row.PersonID, Kind: "new",
			Status: "active", StatusListID: "sl_t", KeyID: "k", IssuedAt: long, ExpiresAt: long.AddDate(5, 0, 0), PrintedAt: long,
			PrintCount: 1, HandedOverAt: long, CreatedAt: long, UpdatedAt: long})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCardholderRecordNeedsSupervisorAndPurpose(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	e.addStaff(t, "sup1", auth.RoleSupervisor, "")
	cc := e.signIn(t, "clerk1", testPassword)
	id := submitted(t, cc, "holder")
	cs := e.signIn(t, "sup1", testPassword)
	if r := cs.post(t, "/staff/applications/"+id+"/approve", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("approve = %d", r.Status)
	}
	handedOver(t, e, id)
	tok := e.token(t, "sup1")
	tests := []struct {
		name string
		c    *client
		path string
		api  bool
		want int
	}{
		{"no purpose asks for one", cs, "/staff/applications/" + id, false, http.StatusOK},
		{"routine review refused", cs, "/staff/applications/" + id + "?purpose=review", false, http.StatusBadRequest},
		{"clerk of the site refused", cc, "/staff/applications/" + id + "?purpose=correction", false, http.StatusNotFound},
		{"clerk receipt refused", cc, "/staff/applications/" + id + "/receipt?purpose=receipt", false, http.StatusNotFound},
		{"API without purpose", nil, "/api/v1/applications/" + id, true, http.StatusBadRequest},
		{"API with review", nil, "/api/v1/applications/" + id + "?purpose=review", true, http.StatusBadRequest},
		{"API with fraud review", nil, "/api/v1/applications/" + id + "?purpose=fraud_review", true, http.StatusOK},
		{"supervisor with replacement", cs, "/staff/applications/" + id + "?purpose=replacement", false, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := deniedReads(t, e, "application.read", id)
			var r resp
			if tt.api {
				r = e.apiGet(t, tok, tt.path)
			} else {
				r = tt.c.get(t, tt.path)
			}
			if r.Status != tt.want {
				t.Fatalf("GET %s = %d, want %d: %s", tt.path, r.Status, tt.want, text(r.Body))
			}
			opened := strings.Contains(r.Body, "Zenobia")
			if opened != (tt.want == http.StatusOK && !strings.HasSuffix(tt.path, id)) {
				t.Errorf("GET %s shows the record: %v", tt.path, opened)
			}
			if tt.want != http.StatusOK && deniedReads(t, e, "application.read", id) != before+1 {
				t.Errorf("refusal of %s not audited as denied", tt.path)
			}
		})
	}
}

func TestSearchPage(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	e.addStaff(t, "sup1", auth.RoleSupervisor, "")
	cc := e.signIn(t, "clerk1", testPassword)
	id := submitted(t, cc, "search")
	cs := e.signIn(t, "sup1", testPassword)
	form := func(given, surnames, dob, purpose string) url.Values {
		return url.Values{"given_names": {given}, "surnames": {surnames}, "date_of_birth": {dob}, "purpose": {purpose}}
	}
	tests := []struct {
		name  string
		form  url.Values
		code  int
		found bool
	}{
		{"exact", form("Zenobia", "Quetzalcóatl Ibarra", "1988-04-17", "fraud_review"), http.StatusOK, true},
		{"partial given name", form("Zeno", "Quetzalcóatl Ibarra", "1988-04-17", "fraud_review"), http.StatusOK, false},
		{"one surname", form("Zenobia", "Quetzalcóatl", "1988-04-17", "fraud_review"), http.StatusOK, false},
		{"no date of birth", form("Zenobia", "Quetzalcóatl Ibarra", "", "fraud_review"), http.StatusUnprocessableEntity, false},
		{"no purpose", form("Zenobia", "Quetzalcóatl Ibarra", "1988-04-17", ""), http.StatusUnprocessableEntity, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cs.post(t, "/staff/search", tt.form)
			if r.Status != tt.code || strings.Contains(r.Body, "/staff/applications/"+id) != tt.found {
				t.Errorf("search = %d, found %v; want %d, %v", r.Status, !tt.found, tt.code, tt.found)
			}
			if tt.found && (!strings.Contains(r.Body, "purpose=fraud_review") || strings.Contains(text(r.Body), "1988-04-17 ")) {
				t.Errorf("result link lacks the purpose, or the page repeats personal data beyond the form")
			}
		})
	}
	if r := cs.get(t, "/staff/search?given_names=Zenobia"); strings.Contains(r.Body, id) {
		t.Error("a GET with a name in the URL searched")
	}
	if r := cc.post(t, "/staff/search", form("Zenobia", "Quetzalcóatl Ibarra", "1988-04-17", "fraud_review")); r.Status != http.StatusForbidden {
		t.Errorf("clerk search = %d, want 403", r.Status)
	}
	events, _ := e.app.DB.AuditEvents(context.Background(), audit.Filter{Action: "application.search"})
	var outcomes []string
	for _, ev := range events {
		outcomes = append(outcomes, ev.Outcome)
	}
	if strings.Join(outcomes, " ") != "denied ok ok ok" {
		t.Errorf("search events = %v, want the clerk's refusal after the three searches that ran", outcomes)
	}
}

func TestAccessExportPage(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	e.addStaff(t, "sup1", auth.RoleSupervisor, "")
	cc := e.signIn(t, "clerk1", testPassword)
	id := submitted(t, cc, "access")
	cs := e.signIn(t, "sup1", testPassword)
	r := cs.get(t, "/staff/applications/"+id+"/access")
	body := text(r.Body)
	if r.Status != http.StatusOK {
		t.Fatalf("access export = %d: %s", r.Status, body)
	}
	es, en := strings.Index(body, "Sus datos en el programa"), strings.Index(body, "Your data held by")
	if es < 0 || en < 0 || es > en {
		t.Errorf("access export: Spanish at %d, English at %d; want both, Spanish (the resident's) first", es, en)
	}
	for _, want := range []string{"Zenobia Quetzalcóatl Ibarra", "17 de abril de 1988", "April 17, 1988", "123 Grand Ave", "Solicitud presentada", "Application submitted"} {
		if !strings.Contains(body, want) {
			t.Errorf("access export lacks %q", want)
		}
	}
	if strings.Contains(r.Body, " style=") || strings.Contains(r.Body, "<script>") {
		t.Error("access export has inline style or script")
	}
	events, _ := e.app.DB.AuditEvents(context.Background(), audit.Filter{RecordID: id, Action: "application.read", Limit: 1})
	if len(events) != 1 || events[0].Purpose != "resident_request" {
		t.Errorf("latest read = %+v, want purpose resident_request", events)
	}
	if r := cc.get(t, "/staff/applications/"+id+"/access"); r.Status != http.StatusForbidden || strings.Contains(r.Body, "Zenobia") {
		t.Errorf("clerk access export = %d, want 403", r.Status)
	}
}

func TestStatsPage(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	e.addStaff(t, "aud1", auth.RoleAuditor, "")
	cc := e.signIn(t, "clerk1", testPassword)
	for i := range 12 {
		submitted(t, cc, "stats-"+string(rune('a'+i)))
	}
	ca := e.signIn(t, "aud1", testPassword)
	r := ca.get(t, "/staff/stats")
	if r.Status != http.StatusOK {
		t.Fatalf("stats page = %d: %s", r.Status, text(r.Body))
	}
	if n := strings.Count(r.Body, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"`); n != 3 {
		t.Errorf("stats page has %d charts, want 3", n)
	}
	month := e.clk.Now().Format("2006-01")
	body := text(r.Body)
	// The page names the month ("March 2026"); the CSV keeps 2026-03.
	for _, want := range []string{"March 2026", "City Hall", "12", "Español", "Fee paid"} {
		if !strings.Contains(body, want) {
			t.Errorf("stats page lacks %q", want)
		}
	}
	if strings.Contains(r.Body, " style=") || strings.Contains(r.Body, "<script") {
		t.Error("stats page has inline style or script")
	}
	csvResp := ca.get(t, "/staff/stats?format=csv&from="+month+"&to="+month)
	recs, err := csv.NewReader(strings.NewReader(csvResp.Body)).ReadAll()
	if err != nil || csvResp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("CSV = %q, %v", csvResp.Header.Get("Content-Type"), err)
	}
	got := map[string][]string{}
	for _, rec := range recs[1:] {
		got[rec[0]+"/"+rec[1]] = rec[3:]
	}
	if w := []string{"12", "0", "0", "0"}; strings.Join(got["month/"+month], ",") != strings.Join(w, ",") {
		t.Errorf("CSV month line = %v, want %v", got["month/"+month], w)
	}
	if w := "12"; got["site/"+e.siteA.ID][0] != w {
		t.Errorf("CSV site line = %v, want %s submitted", got["site/"+e.siteA.ID], w)
	}
	// One application at another site: a small cell, shown as <10, and its
	// complement hidden so the total does not give it away.
	e.addStaff(t, "clerk2", auth.RoleClerk, e.siteB.ID)
	submitted(t, e.signIn(t, "clerk2", testPassword), "stats-b")
	r = e.apiGet(t, e.token(t, "aud1"), "/api/v1/stats?from="+month+"&to="+month)
	var js struct {
		Tables []struct {
			Dimension string
			Rows      []struct {
				Key    string
				Counts []any
			}
		}
	}
	if err := json.Unmarshal([]byte(r.Body), &js); err != nil {
		t.Fatalf("API stats = %d: %v", r.Status, err)
	}
	for _, tab := range js.Tables {
		if tab.Dimension != "site" {
			continue
		}
		for _, row := range tab.Rows {
			want := map[string]any{e.siteA.ID: "x", e.siteB.ID: "<10", "total": float64(13)}[row.Key]
			if row.Counts[0] != want {
				t.Errorf("API stats site %s submitted = %v, want %v", row.Key, row.Counts[0], want)
			}
		}
	}
	if r := cc.get(t, "/staff/stats"); r.Status != http.StatusForbidden {
		t.Errorf("clerk stats = %d, want 403", r.Status)
	}
	if r := ca.get(t, "/staff/stats?from=2026-1"); r.Status != http.StatusBadRequest {
		t.Errorf("bad month = %d, want 400", r.Status)
	}
}

func TestAuditorExportsCheckpoints(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, "aud1", auth.RoleAuditor, "")
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	ca := e.signIn(t, "aud1", testPassword)
	if r := ca.get(t, "/staff/audit/checkpoints"); r.Status != http.StatusNotFound {
		t.Errorf("export before any checkpoint = %d, want 404", r.Status)
	}
	cp, err := checkpoint.New(e.app.DB, e.app.Vault, checkpoint.Options{Origin: "id.example.gov/audit"}).Sign(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := ca.get(t, "/staff/audit/checkpoints")
	ex, err := checkpoint.ParseExport(strings.NewReader(r.Body))
	if r.Status != http.StatusOK || err != nil || len(ex.Checkpoints) != 1 || ex.Checkpoints[0].Size != cp.Size {
		t.Fatalf("export = %d, %v, %+v; want the one checkpoint of size %d", r.Status, err, ex, cp.Size)
	}
	if r := e.signIn(t, "clerk1", testPassword).get(t, "/staff/audit/checkpoints"); r.Status != http.StatusForbidden {
		t.Errorf("clerk export = %d, want 403", r.Status)
	}
}
