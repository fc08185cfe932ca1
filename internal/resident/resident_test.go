package resident

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/booking"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/site"
)

func TestRootPicksBrowserLanguage(t *testing.T) {
	e := newEnv(t, false, Options{})
	tests := []struct{ accept, want string }{
		{"es-MX,es;q=0.9,en;q=0.5", "/es/"},
		{"en-US", "/en/"},
		{"fr-FR", "/en/"},
		{"", "/en/"},
	}
	for _, tc := range tests {
		t.Run(tc.accept, func(t *testing.T) {
			r := e.do(t, "GET", "/", nil, "Accept-Language", tc.accept)
			if got := r.header.Get("Location"); r.status != http.StatusSeeOther || got != tc.want {
				t.Errorf("GET / (Accept-Language %q) = %d %s, want 303 %s", tc.accept, r.status, got, tc.want)
			}
		})
	}
}

var osmLink = regexp.MustCompile(`<a href="https://www\.openstreetmap\.org/search\?query=[^"]*" rel="noopener noreferrer">`)

var untranslated = regexp.MustCompile(`resident\.[a-z_]+\.[a-z_.]+|evidence\.[a-z_.]+|document\.[a-z_]+`)

// TestPagesInEveryLanguage renders every GET page in every language and
// fails on a message key left untranslated, a missing lang attribute, a
// third-party resource or a cookie.
func TestPagesInEveryLanguage(t *testing.T) {
	e := newEnv(t, false, Options{})
	for _, lang := range []string{"en", "es"} {
		for _, path := range []string{"/", "/checklist", "/checklist?doc=passport&check=1", "/apply", "/book", "/status", "/lost",
			"/sites/" + e.siteID + "/kiosk", "/sites/" + e.siteID + "/lobby"} {
			t.Run(lang+path, func(t *testing.T) {
				r := e.do(t, "GET", "/"+lang+path, nil)
				if r.status != http.StatusOK {
					t.Fatalf("GET = %d", r.status)
				}
				if k := untranslated.FindString(r.body); k != "" {
					t.Errorf("untranslated key %q on the page", k)
				}
				if !strings.Contains(r.body, `<html lang="`+lang+`">`) {
					t.Errorf("page lacks <html lang=%q>", lang)
				}
				// The one outside address allowed is a plain link to a map.
				if b := osmLink.ReplaceAllString(r.body, ""); strings.Contains(b, "http://") || strings.Contains(b, "https://") {
					t.Errorf("page refers to an outside resource")
				}
				if r.header.Get("Set-Cookie") != "" {
					t.Errorf("page sets a cookie: %s", r.header.Get("Set-Cookie"))
				}
				other := map[string]string{"en": "es", "es": "en"}[lang]
				if !strings.Contains(r.body, `href="/`+other+strings.SplitN(path, "?", 2)[0]+`"`) {
					t.Errorf("no language switch link to /%s%s", other, path)
				}
			})
		}
	}
}

func TestChecklist(t *testing.T) {
	e := newEnv(t, false, Options{})
	tests := []struct {
		name, query, want string
	}{
		{"enough", "doc=passport&doc=utility_bill&check=1", "Sí, estos documentos son suficientes."},
		{"missing residency", "doc=passport&check=1", "Todavía no. Necesita más documentos."},
		{"bad age keeps choice", "doc=passport&age=abc&check=1", "Escriba su edad con números"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, "GET", "/es/checklist?"+tc.query, nil)
			if !strings.Contains(r.body, tc.want) {
				t.Errorf("checklist?%s lacks %q", tc.query, tc.want)
			}
			if !strings.Contains(r.body, `value="passport" checked`) {
				t.Errorf("checklist?%s forgot the ticked passport", tc.query)
			}
		})
	}
}

func TestApplyValidationKeepsInput(t *testing.T) {
	e := newEnv(t, false, Options{})
	f := applyForm("María José", "")
	f.Set("dob_day", "31")
	f.Set("dob_month", "2")
	f.Set("remind", "sms")
	page := e.do(t, "GET", "/es/apply", nil)
	f.Set("request_key", hidden(page.body, "request_key"))
	r := e.do(t, "POST", "/es/apply", solved(page.body, f, 4))
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("POST invalid = %d, want 422", r.status)
	}
	for _, want := range []string{
		`role="alert"`, `href="#f-first_surname"`, `href="#f-dob"`, `aria-invalid="true"`,
		"Escriba una fecha real", "Escriba su número de teléfono para recibir mensajes de texto",
		`value="María José"`, `value="12 Grand Ave"`, `value="utility_bill" checked`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("invalid form response lacks %q", want)
		}
	}
}

// TestJourney walks the whole resident path over HTTP: pre-apply, book,
// retry after a lost connection, status, then a wrong birth date.
func TestJourney(t *testing.T) {
	e := newEnv(t, false, Options{})
	f := applyForm("Ana", "García")
	f.Set("remind", "email")
	f.Set("email", "ana@example.org")
	code := e.preapply(t, f)

	find := e.do(t, "POST", "/es/book", url.Values{"step": {"find"}, "code": {strings.ToLower(code)}, "site": {e.siteID}})
	if find.status != http.StatusOK || !strings.Contains(find.body, "Horarios libres") {
		t.Fatalf("find = %d\n%s", find.status, find.body)
	}
	slot := hidden(find.body, "slot")
	bf := url.Values{"step": {"book"}, "code": {code}, "site": {e.siteID}, "slot": {slot}, "request_key": {hidden(find.body, "request_key")}}
	bf = solved(find.body, bf, 4)
	first := e.do(t, "POST", "/es/book", bf)
	if first.status != http.StatusOK || !strings.Contains(first.body, "Su cita quedó reservada.") {
		t.Fatalf("book = %d\n%s", first.status, first.body)
	}
	// The connection dropped; the browser sends the same form again (a
	// fresh proof-of-work, the same request key): same booking, no second.
	bf = solved(find.body, bf, 4)
	bf.Set("pow_challenge", hidden(first.body, "pow_challenge"))
	bf.Set("pow_nonce", Solve(bf.Get("pow_challenge"), 4))
	again := e.do(t, "POST", "/es/book", bf)
	if again.status != http.StatusOK || !strings.Contains(again.body, "Su cita quedó reservada.") {
		t.Fatalf("retried book = %d\n%s", again.status, again.body)
	}
	s, err := e.app.DB.Slot(context.Background(), slot)
	if err != nil || s.Booked != 1 {
		t.Errorf("slot booked = %d, %v; want 1 after a retried request", s.Booked, err)
	}
	if len(e.out.msgs) != 1 || e.out.msgs[0].Place != "City Hall, 165 Church St" || strings.Contains(e.out.msgs[0].Body, "Ana") {
		t.Errorf("reminders = %+v; want one with the place and no name", e.out.msgs)
	}

	st := e.do(t, "POST", "/es/status", url.Values{"code": {code}, "dob_day": {"07"}, "dob_month": {"5"}, "dob_year": {"1988"}})
	if !strings.Contains(st.body, "Recibimos su solicitud en línea.") || !strings.Contains(st.body, "City Hall") {
		t.Errorf("status = %d\n%s", st.status, st.body)
	}
	wrong := e.do(t, "POST", "/es/status", url.Values{"code": {code}, "dob_day": {"8"}, "dob_month": {"5"}, "dob_year": {"1988"}})
	unknown := e.do(t, "POST", "/es/status", url.Values{"code": {"2222-3333-4444"}, "dob_day": {"7"}, "dob_month": {"5"}, "dob_year": {"1988"}})
	if wrong.status != unknown.status || !strings.Contains(wrong.body, "no coinciden") || !strings.Contains(unknown.body, "no coinciden") {
		t.Errorf("wrong birth date and unknown code must look the same: %d vs %d", wrong.status, unknown.status)
	}
}

// TestStatusGuessingIsLimited: a reference code allows a few wrong birth
// dates an hour, then stops answering, even for the right one.
func TestStatusGuessingIsLimited(t *testing.T) {
	e := newEnv(t, false, Options{Limits: Limits{LookupsPerMinute: 1000, LookupsBurst: 1000, CodeFailures: 3}})
	code := e.preapply(t, applyForm("Luis", "Pérez"))
	for i := range 3 {
		r := e.do(t, "POST", "/en/status", url.Values{"code": {code}, "dob_day": {"1"}, "dob_month": {"1"}, "dob_year": {"19" + string(rune('5'+i)) + "0"}})
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong guess %d = %d, want 422", i, r.status)
		}
	}
	r := e.do(t, "POST", "/en/status", url.Values{"code": {code}, "dob_day": {"7"}, "dob_month": {"5"}, "dob_year": {"1988"}})
	if r.status != http.StatusTooManyRequests {
		t.Errorf("right birth date after 3 wrong ones = %d, want 429", r.status)
	}
}

func TestRateLimitWithoutProofOfWork(t *testing.T) {
	e := newEnv(t, false, Options{Limits: Limits{FormsPerMinute: 1, FormsBurst: 12}})
	var got []int
	for range 4 {
		f := applyForm("Rosa", "Díaz")
		r := e.do(t, "POST", "/en/apply", f) // no challenge solved: costs 5
		got = append(got, r.status)
	}
	if got[0] != http.StatusOK || got[1] != http.StatusOK || got[2] != http.StatusTooManyRequests {
		t.Errorf("statuses without proof-of-work = %v, want 200 200 429 …", got)
	}
}

// TestLostCard: the holder's code and birth date suspend the active card
// at once, recorded as the resident's act.
func TestLostCard(t *testing.T) {
	e := newEnv(t, false, Options{})
	ctx := context.Background()
	clerk, err := e.app.Auth.CreateStaff(ctx, auth.System(), auth.NewStaff{Username: "clerk1", Role: auth.RoleClerk, SiteID: e.siteID, Password: "lanterns drift over quiet harbor 42"})
	if err != nil {
		t.Fatal(err)
	}
	actor := auth.Actor{StaffID: clerk.ID, Username: "clerk1", Role: auth.RoleClerk, SiteID: e.siteID}
	dob, _ := person.ParseDate("1990-12-25")
	a, err := e.app.Enroll.Submit(ctx, actor, "", enroll.Intake{
		Person:    person.Person{GivenNames: "Juan", FirstSurname: "Ortiz", DateOfBirth: dob, Language: "es", Address: person.Address{Line1: "1 Elm St", City: "New Haven", PostalCode: "06510"}},
		Documents: []evidence.Shown{{Type: "passport"}, {Type: "lease"}},
		Photo:     testPhoto(t),
		Payment:   fee.Payment{Method: e.app.Settings.Fees.PaymentMethods[0], AmountCents: e.app.Settings.Fees.Adult},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.cards.cards = []card.Card{{ID: "crd_1", ApplicationID: a.ID, Status: card.StatusActive}}
	r := e.do(t, "POST", "/es/lost", url.Values{"code": {a.Reference}, "dob_day": {"25"}, "dob_month": {"12"}, "dob_year": {"1990"}, "confirm": {"yes"}})
	if r.status != http.StatusOK || !strings.Contains(r.body, "Su tarjeta está bloqueada.") {
		t.Fatalf("lost = %d\n%s", r.status, r.body)
	}
	if len(e.cards.suspended) != 1 || e.cards.suspended[0] != "crd_1:reported_lost:resident" {
		t.Errorf("suspended = %v, want [crd_1:reported_lost:resident]", e.cards.suspended)
	}
	st := e.do(t, "POST", "/en/status", url.Values{"code": {a.Reference}, "dob_day": {"25"}, "dob_month": {"12"}, "dob_year": {"1990"}})
	if !strings.Contains(st.body, "being checked") {
		t.Errorf("status of a submitted application:\n%s", st.body)
	}
}

func TestKioskAndLobby(t *testing.T) {
	e := newEnv(t, false, Options{})
	for want := 1; want <= 2; want++ {
		r := e.do(t, "POST", "/es/sites/"+e.siteID+"/kiosk", url.Values{})
		if !strings.Contains(r.body, `<p class="ticket">`+string(rune('0'+want))+`</p>`) {
			t.Fatalf("ticket %d:\n%s", want, r.body)
		}
	}
	if _, err := e.site.Booking().CallNext(context.Background(), e.siteID, "3"); err != nil {
		t.Fatal(err)
	}
	r := e.do(t, "GET", "/es/sites/"+e.siteID+"/lobby", nil)
	if !strings.Contains(r.body, "Ventanilla 3") || !strings.Contains(r.body, "1 persona esperando") {
		t.Errorf("lobby:\n%s", r.body)
	}
}

func TestBlankFormPDF(t *testing.T) {
	e := newEnv(t, false, Options{})
	r := e.do(t, "GET", "/es/form.pdf", nil)
	if r.status != http.StatusOK || !strings.HasPrefix(r.body, "%PDF-") || r.header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("form.pdf = %d %s", r.status, r.header.Get("Content-Type"))
	}
	if !strings.Contains(r.body, "/FontFile2") {
		t.Error("form.pdf does not embed its TrueType font (accents would not render)")
	}
}

// TestRemindersAndExpiry: the day-before reminder goes out once, to those
// who asked; an unbooked pre-application expires after the draft period
// and is purged with its data key.
func TestRemindersAndExpiry(t *testing.T) {
	e := newEnv(t, false, Options{})
	ctx := context.Background()
	f := applyForm("Ana", "García")
	f.Set("remind", "sms")
	f.Set("phone", "203-555-0100")
	code := e.preapply(t, f)
	pre, err := e.site.Preapps().Load(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	// A site that releases slots 60 days ahead, so the visit is after the
	// pre-application's normal expiry.
	st, err := e.app.Sites.Create(ctx, auth.System(), site.Site{Name: "Far Hall", Kind: site.KindPartner, Address: "9 Long Rd"})
	if err != nil {
		t.Fatal(err)
	}
	r := booking.DefaultRules()
	r.Release.DaysAhead = 60
	if err := e.site.Booking().SetRules(ctx, st.ID, r); err != nil {
		t.Fatal(err)
	}
	far := person.DateOf(e.clk.Now().AddDate(0, 0, 45))
	if _, err := e.site.Booking().Publish(ctx, st.ID, far, far); err != nil {
		t.Fatal(err)
	}
	open, _ := e.site.Booking().Open(ctx, st.ID, 0)
	last := open[len(open)-1]
	if _, err := e.site.Booking().Book(ctx, booking.Request{SlotID: last.ID, PreappID: pre.ID, PersonKey: pre.PersonKey}); err != nil {
		t.Fatal(err)
	}
	other := e.preapply(t, applyForm("Beto", "Ruiz"))

	days := e.app.Settings.Retention.DraftDays
	if days <= 0 {
		days = 30
	}
	e.clk.t = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC).AddDate(0, 0, days).Add(time.Hour)
	if _, err := e.site.Preapps().Load(ctx, other); !errors.Is(err, enroll.ErrUnknownCode) {
		t.Errorf("Load(expired) = %v, want ErrUnknownCode", err)
	}
	if _, err := e.site.Preapps().Load(ctx, code); err != nil {
		t.Errorf("a booked pre-application must live until its visit: %v", err)
	}
	if n, err := e.site.Preapps().Purge(ctx); err != nil || n != 1 {
		t.Errorf("Purge = %d, %v; want 1", n, err)
	}

	e.clk.t = last.StartsAt.Add(-20 * time.Hour)
	for want := range []int{1, 0} {
		n, err := e.site.SendReminders(ctx, 24*time.Hour)
		if err != nil || n != 1-want {
			t.Fatalf("SendReminders run %d = %d, %v; want %d", want+1, n, err, 1-want)
		}
	}
	m := e.out.msgs[len(e.out.msgs)-1]
	if m.Channel != "sms" || m.To != "203-555-0100" || !strings.Contains(m.Body, "Far Hall, 9 Long Rd") || strings.Contains(m.Body, "Ana") || strings.Contains(m.Body, code) {
		t.Errorf("reminder = %+v; want an SMS with the place, no name, no code", m)
	}

}

// lotterySite adds a mobile unit whose two seats (Thursday 5 March 2026,
// 09:00 and 09:15) are released by lottery the day before at 12:00.
func (e *env) lotterySite(t *testing.T) site.Site {
	t.Helper()
	ctx := context.Background()
	st, err := e.app.Sites.Create(ctx, auth.System(), site.Site{Name: "Mobile Unit", Kind: site.KindMobile, Address: "Fair Haven"})
	if err != nil {
		t.Fatal(err)
	}
	r := booking.DefaultRules()
	r.Weekly = map[string][]booking.Hours{"thu": {{Open: "09:00", Close: "09:30"}}}
	r.SlotMinutes, r.Capacity, r.Lottery = 15, 1, true
	r.Release = booking.Release{DaysAhead: 1, At: "12:00"}
	if err := e.site.Booking().SetRules(ctx, st.ID, r); err != nil {
		t.Fatal(err)
	}
	if _, err := e.site.Booking().Publish(ctx, st.ID, person.Date{Year: 2026, Month: 3, Day: 5}, person.Date{Year: 2026, Month: 3, Day: 5}); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestLotteryOverHTTP: with a lottery site, residents enter the draw, and
// after the release the first look at the site draws it; each entrant
// then sees a time or a place in line.
func TestLotteryOverHTTP(t *testing.T) {
	e := newEnv(t, false, Options{})
	st := e.lotterySite(t)
	var codes []string
	for i, name := range []string{"Ana", "Beto", "Carla"} {
		code := e.preapply(t, applyForm(name, "Vega"))
		codes = append(codes, code)
		find := e.do(t, "POST", "/es/book", url.Values{"step": {"find"}, "code": {code}, "site": {st.ID}})
		if !strings.Contains(find.body, "Inscribirme en el sorteo") {
			t.Fatalf("resident %d sees no lottery:\n%s", i, find.body)
		}
		f := solved(find.body, url.Values{"step": {"lottery"}, "code": {code}, "site": {st.ID}}, 4)
		if r := e.do(t, "POST", "/es/book", f); !strings.Contains(r.body, "Su nombre ya está en el sorteo.") {
			t.Fatalf("enter lottery %d = %d\n%s", i, r.status, r.body)
		}
	}
	e.clk.t = time.Date(2026, 3, 4, 17, 1, 0, 0, time.UTC) // 12:01 in New Haven
	won, waiting := 0, 0
	for _, code := range codes {
		r := e.do(t, "POST", "/es/book", url.Values{"step": {"find"}, "code": {code}, "site": {st.ID}})
		switch {
		case strings.Contains(r.body, "Su cita"):
			won++
		case strings.Contains(r.body, "lista de espera"):
			waiting++
		}
	}
	if won != 2 || waiting != 1 {
		t.Errorf("after the draw: %d with a time, %d waiting; want 2 and 1", won, waiting)
	}
}
