package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
)

// The office's day after approval, through the pages: 50 applications are
// approved by one supervisor, issued in a batch by another (the approver's
// own batch is refused: four eyes), printed, and handed over by a clerk at
// the site's desk. The audit log then shows every opening of those records
// under the purpose of the step that opened it, and nothing else.
func TestCardDeskFiftyCardsApprovalToHandover(t *testing.T) {
	if testing.Short() {
		t.Skip("50 intakes")
	}
	e := newEnv(t)
	e.addStaff(t, "clerk1", auth.RoleClerk, e.siteA.ID)
	e.addStaff(t, "approver", auth.RoleSupervisor, "")
	e.addStaff(t, "desk", auth.RoleSupervisor, "")
	clerk := e.signIn(t, "clerk1", testPassword)
	approver := e.signIn(t, "approver", testPassword)
	desk := e.signIn(t, "desk", testPassword)

	const n = 50
	apps := map[string]bool{}
	var ids []string
	for i := range n {
		form := validForm(fmt.Sprintf("desk-%d", i))
		// Distinct people, so duplicate screening holds none back.
		form.Set("given_names", "Persona"+strings.Repeat(string(rune('a'+i%26)), 1+i/26)+string(rune('A'+i%26)))
		form.Set("date_of_birth", fmt.Sprintf("19%02d-%02d-%02d", 50+i, 1+i%12, 1+i%28))
		form.Set("action", "submit")
		r := clerk.postMultipart(t, "/staff/intake", form, testPNG(t))
		id := regexpFind(r.Location, `/staff/applications/([^/?]+)/receipt`)
		if r.Status != http.StatusSeeOther || id == "" {
			t.Fatalf("intake %d = %d: %s", i, r.Status, text(r.Body))
		}
		if r := approver.post(t, "/staff/applications/"+id+"/approve", url.Values{}); r.Status != http.StatusSeeOther {
			t.Fatalf("approve %d = %d: %s", i, r.Status, text(r.Body))
		}
		apps[id] = true
		ids = append(ids, id)
	}
	startSeq := lastSeq(t, e)

	// The approver's list offers no checkbox for their own approvals, and
	// their batch is refused row by row without opening a record.
	if page := approver.get(t, "/staff/cards?tab=issue"); strings.Contains(page.Body, `name="app"`) || !strings.Contains(text(page.Body), "You approved it") {
		t.Errorf("approver's to-issue list offers their own approvals")
	}
	r := approver.post(t, "/staff/cards/issue", url.Values{"app": ids[:3]})
	if r.Status != http.StatusOK || strings.Count(text(r.Body), "you approved this application") != 3 {
		t.Errorf("approver's batch = %d; want 3 refusals shown: %s", r.Status, text(r.Body))
	}

	// The desk supervisor sees all 50 and issues them in one batch.
	list := desk.get(t, "/staff/cards?tab=issue")
	if got := strings.Count(list.Body, `name="app"`); got != n {
		t.Fatalf("to-issue list has %d checkboxes, want %d", got, n)
	}
	r = desk.post(t, "/staff/cards/issue", url.Values{"app": ids})
	if r.Status != http.StatusOK || !strings.Contains(text(r.Body), fmt.Sprintf("%d cards issued", n)) {
		t.Fatalf("batch issue = %d: %s", r.Status, text(r.Body))
	}
	// Pressing it again (a double click) issues nothing twice.
	if r := desk.post(t, "/staff/cards/issue", url.Values{"app": ids[:2]}); !strings.Contains(text(r.Body), "no longer waiting for a card") {
		t.Errorf("second batch: %s", text(r.Body))
	}

	// To print: all 50, printed in one PDF.
	queue := desk.get(t, "/staff/cards?tab=queue")
	cardIDs := regexp.MustCompile(`name="id" value="(crd_[a-z2-7]+)"`).FindAllStringSubmatch(queue.Body, -1)
	if len(cardIDs) != n {
		t.Fatalf("print queue has %d cards, want %d", len(cardIDs), n)
	}
	form := url.Values{"sheet": {"cards"}}
	for _, m := range cardIDs {
		form.Add("id", m[1])
	}
	if r := desk.post(t, "/staff/cards/print", form); r.Status != http.StatusOK || !strings.HasPrefix(r.Body, "%PDF") {
		t.Fatalf("print = %d", r.Status)
	}

	// The clerk's pick-up list at their site; the hand-over page is theirs (no 403).
	pickup := clerk.get(t, "/staff/cards?tab=pickup")
	waiting := regexp.MustCompile(`href="/staff/cards/(crd_[a-z2-7]+)"`).FindAllStringSubmatch(pickup.Body, -1)
	if pickup.Status != http.StatusOK || len(waiting) != n {
		t.Fatalf("clerk pick-up list = %d with %d cards, want 200 with %d", pickup.Status, len(waiting), n)
	}
	for i, m := range waiting {
		id := m[1]
		page := clerk.get(t, "/staff/cards/"+id)
		if page.Status != http.StatusOK || !strings.Contains(page.Body, `id="handover"`) || strings.Contains(page.Body, `id="suspend"`) {
			t.Fatalf("clerk card page = %d; want 200 with hand-over and no supervisor actions", page.Status)
		}
		if i < 10 { // the clerk looks at the photo on the card before handing it over
			if r := clerk.get(t, "/staff/cards/"+id+"/preview/front"); r.Status != http.StatusOK {
				t.Fatalf("clerk preview = %d", r.Status)
			}
		}
		if i == n-5 {
			break // five wait longer
		}
		if r := clerk.post(t, "/staff/cards/"+id+"/handover", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("clerk handover = %d: %s", r.Status, text(r.Body))
		}
	}

	// Fifteen days on, the five still waiting are overdue pick-ups (14 days).
	e.clk.Add(15 * 24 * time.Hour)
	clerk = e.signIn(t, "clerk1", testPassword)
	over := clerk.get(t, "/staff/cards?tab=overdue")
	late := regexp.MustCompile(`href="/staff/cards/(crd_[a-z2-7]+)"`).FindAllStringSubmatch(over.Body, -1)
	if len(late) != 5 || !strings.Contains(text(over.Body), "15 days") {
		t.Fatalf("overdue list has %d cards, want 5 waiting 15 days: %s", len(late), text(over.Body))
	}
	for _, m := range late {
		if r := clerk.post(t, "/staff/cards/"+m[1]+"/handover", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("late handover = %d", r.Status)
		}
	}
	if r := clerk.get(t, "/staff/cards?tab=pickup"); strings.Contains(r.Body, `href="/staff/cards/crd_`) {
		t.Error("pick-up list not empty after every hand-over")
	}

	// The audit log: every read of these 50 records since approval names
	// the step's purpose; none was refused or borrowed a purpose.
	allowed := map[string]bool{string(enroll.PurposeIssue): true, string(enroll.PurposePrint): true, string(enroll.PurposeHandOver): true}
	count := map[string]int{}
	for _, ev := range eventsSince(t, e, startSeq) {
		if ev.RecordType != "application" || !apps[ev.RecordID] {
			if strings.HasPrefix(ev.Action, "card.") {
				count[ev.Action+"/"+ev.Outcome]++
			}
			continue
		}
		if ev.Action == "application.read" && (!allowed[ev.Purpose] || ev.Outcome != audit.OutcomeOK) {
			t.Errorf("audit #%d: %s read %s with purpose %q (%s)", ev.Seq, ev.Actor, ev.RecordID, ev.Purpose, ev.Outcome)
		}
		count[ev.Action+"/"+ev.Purpose]++
	}
	for key, want := range map[string]int{"application.read/card_issue": n, "application.read/card_print": n,
		"application.read/card_handover": 10, "card.issue/ok": n, "card.print/ok": n, "card.handover/ok": n, "card.issue/denied": 3} {
		if count[key] != want {
			t.Errorf("audit: %d × %s, want %d", count[key], key, want)
		}
	}
}

// A clerk of another site gets neither the list nor the hand-over.
func TestCardDeskClerkConfinedToSite(t *testing.T) {
	ce := newCardEnv(t)
	id := ce.issue(t)
	if r := ce.sup.post(t, "/staff/cards/print", url.Values{"id": {id}, "sheet": {"cards"}}); r.Status != http.StatusOK {
		t.Fatalf("print = %d", r.Status)
	}
	ce.addStaff(t, "clerkB", auth.RoleClerk, ce.siteB.ID)
	other := ce.signIn(t, "clerkB", testPassword)
	if r := other.get(t, "/staff/cards?tab=pickup"); strings.Contains(r.Body, id) {
		t.Error("site B's pick-up list shows site A's card")
	}
	for _, try := range []func() resp{
		func() resp { return other.get(t, "/staff/cards/"+id) },
		func() resp { return other.get(t, "/staff/cards/"+id+"/preview/front") },
		func() resp { return other.post(t, "/staff/cards/"+id+"/handover", nil) },
	} {
		if r := try(); r.Status != http.StatusForbidden && r.Status != http.StatusNotFound {
			t.Errorf("clerk of site B on site A's card = %d, want 403 or 404", r.Status)
		}
	}
	if cd, _ := ce.app.Cards.Get(context.Background(), id); !cd.HandedOverAt.IsZero() {
		t.Error("a clerk of another site handed the card over")
	}
	// Site A's clerk may, and the supervisor's own lists show it by site.
	if r := ce.clerk.post(t, "/staff/cards/"+id+"/handover", nil); r.Status != http.StatusSeeOther {
		t.Errorf("site A clerk handover = %d", r.Status)
	}
}

func lastSeq(t *testing.T, e *env) int64 {
	t.Helper()
	evs, err := e.app.DB.AuditEvents(context.Background(), audit.Filter{Limit: 1})
	if err != nil || len(evs) == 0 {
		t.Fatalf("audit: %v", err)
	}
	return evs[0].Seq
}

// eventsSince returns audit events after seq, oldest first.
func eventsSince(t *testing.T, e *env, seq int64) []audit.Event {
	t.Helper()
	var out []audit.Event
	before := int64(0)
	for {
		evs, err := e.app.DB.AuditEvents(context.Background(), audit.Filter{BeforeSeq: before, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Seq <= seq {
				return reverse(out)
			}
			out = append(out, ev)
		}
		if len(evs) < 1000 {
			return reverse(out)
		}
		before = evs[len(evs)-1].Seq
	}
}

func reverse(evs []audit.Event) []audit.Event {
	for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
		evs[i], evs[j] = evs[j], evs[i]
	}
	return evs
}

// "Renew" is offered only inside the renewal window (60 days before expiry
// to 180 after), and staff read times in the program's time zone.
func TestCardRenewOnlyInWindowAndLocalTimes(t *testing.T) {
	ce := newCardEnv(t)
	id := ce.issue(t)
	if r := ce.sup.post(t, "/staff/cards/print", url.Values{"id": {id}, "sheet": {"cards"}}); r.Status != http.StatusOK {
		t.Fatalf("print = %d", r.Status)
	}
	page := ce.sup.get(t, "/staff/cards/"+id)
	if strings.Contains(page.Body, `id="renew"`) {
		t.Error("a card issued today offers Renew")
	}
	// The test clock is 15:00 UTC on 2 March 2026: 10:00 in New Haven (EST).
	body := text(page.Body)
	// An American clerk reads a 12-hour clock and the month by name.
	if !regexp.MustCompile(`March 2, 2026, 10:0\d AM EST`).MatchString(body) || strings.Contains(body, "UTC") {
		t.Errorf("card page times are not in the program's time zone: %s", body)
	}
	rc := text(ce.clerk.get(t, "/staff/applications/"+ce.appID+"/receipt?purpose=receipt").Body)
	if !regexp.MustCompile(`March 2, 2026, (9|10):\d\d AM EST`).MatchString(rc) || strings.Contains(rc, "UTC") {
		t.Errorf("receipt time is not in the program's time zone: %s", rc)
	}
	// The Spanish copy (the resident's language) writes the date the
	// Spanish way and keeps the 24-hour clock; neither copy reads 2026-03-02.
	if !regexp.MustCompile(`Enviada\s+2 de marzo de 2026, (09|10):\d\d EST`).MatchString(rc) || regexp.MustCompile(`\d{4}-\d\d-\d\d`).MatchString(rc) {
		t.Errorf("receipt: want the Spanish copy's date written out (2 de marzo de 2026, 10:00 EST) and no ISO date: %s", rc)
	}
	tests := []struct {
		name  string
		at    time.Time
		renew bool
	}{
		{"61 days before expiry", time.Date(2030, 12, 31, 15, 0, 0, 0, time.UTC), false},
		{"59 days before expiry", time.Date(2031, 1, 2, 15, 0, 0, 0, time.UTC), true},
		{"179 days after expiry", time.Date(2031, 8, 28, 15, 0, 0, 0, time.UTC), true},
		{"181 days after expiry", time.Date(2031, 8, 30, 15, 0, 0, 0, time.UTC), false},
	}
	for _, tc := range tests {
		ce.clk.Add(tc.at.Sub(ce.clk.Now()))
		sup := ce.signIn(t, "sup1", testPassword)
		got := strings.Contains(sup.get(t, "/staff/cards/"+id).Body, `id="renew"`)
		if got != tc.renew {
			t.Errorf("%s: Renew offered %v, want %v", tc.name, got, tc.renew)
		}
	}
}

// A renewal reads the holder's record as a renewal, not as a borrowed
// "replacement".
func TestCardRenewalReadsAsRenewal(t *testing.T) {
	ce := newCardEnv(t)
	id := ce.issue(t)
	ce.clk.Add(time.Date(2031, 2, 1, 15, 0, 0, 0, time.UTC).Sub(ce.clk.Now()))
	sup := ce.signIn(t, "sup1", testPassword)
	from := lastSeq(t, ce.env)
	if r := sup.post(t, "/staff/cards/"+id+"/renew", url.Values{"renew_payment_method": {"cash"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("renew = %d: %s", r.Status, text(r.Body))
	}
	reads := 0
	for _, ev := range eventsSince(t, ce.env, from) {
		if ev.Action == "application.read" && ev.RecordID == ce.appID {
			reads++
			if ev.Purpose != "card_renewal" {
				t.Errorf("renewal read the record with purpose %q", ev.Purpose)
			}
		}
	}
	if reads == 0 {
		t.Error("the renewal read no record (audit)")
	}
}
