package resident

import (
	"context"
	"github.com/cityid/cityid/internal/store"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/booking"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/notify"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/site"
)

// section is the text of the home page between two headings, tags removed.
func section(body, from, to string) string {
	_, after, ok := strings.Cut(body, from)
	if !ok {
		return ""
	}
	before, _, _ := strings.Cut(after, to)
	return strings.Join(strings.Fields(html.UnescapeString(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(before, " "))), " ")
}

// TestHomeWhatToBring: the home page lists the city's accepted documents
// under what they prove, with the rule in plain words, for both kinds of
// evidence rules, and never the evidence engine's "missing" messages.
func TestHomeWhatToBring(t *testing.T) {
	e := newEnv(t, false, Options{})
	tests := []struct {
		name  string
		rules config.Evidence
		docs  []config.Document
		want  []string
	}{
		{"documents (New Haven)", e.app.Settings.Evidence, e.app.Settings.Documents, []string{
			"Para probar quién es Traiga 1 de estos documentos: Pasaporte (de cualquier país)",
			"Para probar que vive en la ciudad Traiga 1 de estos documentos:",
			"Factura de servicios (gas, luz, agua, teléfono o internet)",
			"Al menos uno de sus documentos debe mostrar su fecha de nacimiento.",
		}},
		{"points (IDNYC style)", config.Evidence{Mode: config.ModePoints, IdentityPoints: 3, ResidencyPoints: 1, RequirePhoto: true, MinimumAge: 10},
			[]config.Document{{Code: "passport", IdentityPoints: 3}, {Code: "birth_certificate", IdentityPoints: 2, MaxAge: 17}, {Code: "lease", ResidencyPoints: 1}}, []string{
				"Traiga documentos de esta lista que sumen al menos 3 puntos: Pasaporte (de cualquier país) (3 puntos)",
				"(2 puntos) (solo hasta los 17 años)",
				"Traiga documentos de esta lista que sumen al menos 1 punto: Contrato de arrendamiento de vivienda (1 punto)",
				"Al menos uno de sus documentos debe tener su foto.",
				"Puede solicitar la tarjeta desde los 10 años.",
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.app.Settings.Evidence, e.app.Settings.Documents = tc.rules, tc.docs
			r := e.do(t, "GET", "/es/", nil)
			bring := section(r.body, "Qué debe traer", "Cómo obtenerla")
			for _, w := range tc.want {
				if !strings.Contains(bring, w) {
					t.Errorf("what to bring lacks %q:\n%s", w, bring)
				}
			}
			if strings.Contains(bring, "Falta") {
				t.Errorf("what to bring shows the evidence engine's messages:\n%s", bring)
			}
			if cost := section(r.body, "Cuánto cuesta", "Qué debe traer"); !strings.Contains(cost, "Si no puede pagar la tarifa, pregunte por una exención.") {
				t.Errorf("fee section = %q", cost)
			}
		})
	}
}

// TestLocations: the home page lists every office with its address, a plain
// map link, phone and opening hours; the status page says where and when
// the visit is, with the date written out in the reader's language.
func TestLocations(t *testing.T) {
	e := newEnv(t, false, Options{})
	home := e.do(t, "GET", "/es/", nil)
	where := section(home.body, "Dónde solicitarla", "Su privacidad")
	for _, w := range []string{"City Hall 165 Church St Ver City Hall en el mapa", "Teléfono: 203-946-8000",
		"Horario de atención: Lunes a viernes: 09:00–17:00 Sábado: 09:00–12:00 Domingo: cerrado", "English, Español", "Step-free entrance"} {
		if !strings.Contains(where, w) {
			t.Errorf("home page's offices lack %q:\n%s", w, where)
		}
	}
	for _, w := range []string{`href="tel:2039468000"`, `href="https://www.openstreetmap.org/search?query=165+Church+St"`} {
		if !strings.Contains(html.UnescapeString(home.body), w) {
			t.Errorf("home page lacks %s", w)
		}
	}
	if strings.Contains(home.body, "<iframe") {
		t.Errorf("home page embeds a map")
	}
	en := section(e.do(t, "GET", "/en/", nil).body, "Where to apply", "Your privacy")
	// An American reads a 12-hour clock; Spanish keeps the 24-hour one.
	if !strings.Contains(en, "Monday to Friday: 9:00 AM–5:00 PM Saturday: 9:00 AM–12:00 PM") || !strings.Contains(en, "See City Hall on a map") {
		t.Errorf("English offices:\n%s", en)
	}

	code := e.preapply(t, applyForm("Rosa", "Díaz"))
	find := e.do(t, "POST", "/es/book", url.Values{"step": {"find"}, "code": {code}, "site": {e.siteID}})
	bf := solved(find.body, url.Values{"step": {"book"}, "code": {code}, "site": {e.siteID}, "slot": {hidden(find.body, "slot")},
		"request_key": {hidden(find.body, "request_key")}}, 4)
	if r := e.do(t, "POST", "/es/book", bf); r.status != http.StatusOK {
		t.Fatalf("book = %d", r.status)
	}
	for _, lang := range []string{"es", "en"} {
		st := e.do(t, "POST", "/"+lang+"/status", url.Values{"code": {code}, "dob_day": {"7"}, "dob_month": {"5"}, "dob_year": {"1988"}})
		got := section(st.body, "<main", "</main>")
		want := map[string][]string{
			"es": {"Su cita: lunes 2 de marzo de 2026, 10:15", "City Hall 165 Church St Ver City Hall en el mapa", "Teléfono: 203-946-8000", "Lunes a viernes: 09:00–17:00"},
			"en": {"Your appointment: Monday, March 2, 2026, 10:15 AM", "See City Hall on a map", "Monday to Friday: 9:00 AM–5:00 PM"},
		}[lang]
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s status lacks %q:\n%s", lang, w, got)
			}
		}
		if iso := regexp.MustCompile(`20\d\d-\d\d-\d\d`).FindString(got); iso != "" {
			t.Errorf("%s status shows an ISO date %s", lang, iso)
		}
	}
}

// TestBookingByDay: the times come one day at a time with a day picker and
// the places left; right after booking the page never says there are no
// free times; the visit downloads as a calendar file without name or code.
func TestBookingByDay(t *testing.T) {
	e := newEnv(t, false, Options{})
	code := e.preapply(t, applyForm("Rosa", "Díaz"))
	find := e.do(t, "POST", "/es/book", url.Values{"step": {"find"}, "code": {code}, "site": {e.siteID}})
	days := regexp.MustCompile(`<button type="submit" name="day" value="(\d{4}-\d\d-\d\d)"`).FindAllStringSubmatch(find.body, -1)
	// Ten weekdays published from Monday 2 March; it is 10:00 on the 2nd.
	if len(days) != 10 || days[0][1] != "2026-03-02" || days[1][1] != "2026-03-03" {
		t.Fatalf("day picker = %v", days)
	}
	body := html.UnescapeString(find.body)
	for _, w := range []string{`aria-pressed="true"><span class="d">lunes 2 de marzo</span> <span class="n">42 lugares libres</span>`,
		"Horarios libres del lunes 2 de marzo", "10:15 <span class=\"left\">(quedan 2 lugares)</span>"} {
		if !strings.Contains(body, w) {
			t.Errorf("first find lacks %s", w)
		}
	}
	if n := strings.Count(find.body, `name="slot"`); n != 21 {
		t.Errorf("first day offers %d times, want 21 (10:15 to 11:45, 13:00 to 16:15)", n)
	}
	wed := e.do(t, "POST", "/es/book", url.Values{"step": {"find"}, "code": {code}, "site": {e.siteID}, "day": {"2026-03-04"}})
	if !strings.Contains(wed.body, "Horarios libres del miércoles 4 de marzo") || strings.Count(wed.body, `name="slot"`) != 26 {
		t.Errorf("picking Wednesday shows %d times:\n%s", strings.Count(wed.body, `name="slot"`), section(wed.body, "<main", "</main>"))
	}

	slot := hidden(wed.body, "slot")
	bf := solved(wed.body, url.Values{"step": {"book"}, "code": {code}, "site": {e.siteID}, "day": {"2026-03-04"}, "slot": {slot},
		"request_key": {hidden(wed.body, "request_key")}}, 4)
	booked := e.do(t, "POST", "/es/book", bf)
	if !strings.Contains(booked.body, "Su cita quedó reservada.") || !strings.Contains(booked.body, "miércoles 4 de marzo de 2026, 09:00") {
		t.Fatalf("book = %d\n%s", booked.status, section(booked.body, "<main", "</main>"))
	}
	if strings.Contains(booked.body, "Ahora no hay horarios libres") {
		t.Errorf("the confirmation says there are no free times, with hundreds open")
	}
	move := e.do(t, "POST", "/es/book", url.Values{"step": {"find"}, "code": {code}, "site": {e.siteID}})
	if !strings.Contains(move.body, "Cambiar a otro horario") || strings.Contains(move.body, "Ahora no hay horarios libres") || !strings.Contains(move.body, `name="slot"`) {
		t.Errorf("change the time shows no times:\n%s", section(move.body, "<main", "</main>"))
	}
	other := e.preapply(t, applyForm("Luz", "Mar"))
	seen := e.do(t, "POST", "/es/book", url.Values{"step": {"find"}, "code": {other}, "site": {e.siteID}, "day": {"2026-03-04"}})
	if !strings.Contains(html.UnescapeString(seen.body), `09:00 <span class="left">(queda 1 lugar)</span>`) {
		t.Errorf("another resident does not see one place left at 09:00")
	}

	ics := e.do(t, "POST", "/es/book", url.Values{"step": {"ics"}, "code": {code}})
	if ics.status != http.StatusOK || !strings.HasPrefix(ics.header.Get("Content-Type"), "text/calendar") ||
		!strings.Contains(ics.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("ics = %d %s %s", ics.status, ics.header.Get("Content-Type"), ics.header.Get("Content-Disposition"))
	}
	for _, w := range []string{"DTSTART:20260304T140000Z\r\n", `LOCATION:City Hall\, 165 Church St`, "SUMMARY:Su cita para la tarjeta de identificación"} {
		if !strings.Contains(ics.body, w) {
			t.Errorf("calendar lacks %q:\n%s", w, ics.body)
		}
	}
	for _, private := range []string{"Rosa", "Díaz", code, "1988"} {
		if strings.Contains(ics.body, private) {
			t.Errorf("calendar holds %q", private)
		}
	}
}

// printedCard takes Juan Ortiz (born 25 December 1990) through intake,
// approval, issue and print at the test site, made from pre-application
// preID when given, and returns the application and the card.
func (e *env) printedCard(t *testing.T, preID string) (enroll.Record, card.Card) {
	t.Helper()
	ctx := context.Background()
	e.site.opts.Cards = e.app.Cards
	newActor := func(name string, role auth.Role) auth.Actor {
		st, err := e.app.Auth.CreateStaff(ctx, auth.System(), auth.NewStaff{Username: name, Role: role, SiteID: e.siteID, Password: "lanterns drift over quiet harbor 42"})
		if err != nil {
			t.Fatal(err)
		}
		return auth.Actor{StaffID: st.ID, Username: name, Role: role, SiteID: e.siteID}
	}
	clerk, sup := newActor("clerk1", auth.RoleClerk), newActor("sup1", auth.RoleSupervisor)
	a, err := e.app.Enroll.Submit(ctx, clerk, "", enroll.Intake{
		Person: person.Person{GivenNames: "Juan", FirstSurname: "Ortiz", DateOfBirth: person.Date{Year: 1990, Month: 12, Day: 25}, Language: "es",
			Address: person.Address{Line1: "1 Elm St", City: "New Haven", PostalCode: "06510"}},
		Documents: []evidence.Shown{{Type: "passport"}, {Type: "lease"}},
		Photo:     testPhoto(t),
		Payment:   fee.Payment{Method: e.app.Settings.Fees.PaymentMethods[0], AmountCents: e.app.Settings.Fees.Adult},
	})
	if err != nil {
		t.Fatal(err)
	}
	if preID != "" {
		// As a clerk's Admit would have (the fixture submits in one step).
		if err := e.app.DB.InTx(ctx, func(tx *store.Tx) error { return tx.MarkPreapplicationUsed(ctx, preID, a.ID, e.app.Now()) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.app.Enroll.Approve(ctx, sup, a.ID, ""); err != nil {
		t.Fatal(err)
	}
	c, err := e.app.Cards.Issue(ctx, newActor("issuer1", auth.RoleSupervisor), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Cards.Print(ctx, sup, []string{c.ID}, card.CardPages); err != nil {
		t.Fatal(err)
	}
	rec, err := e.app.DB.Application(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	return rec, c
}

// TestRemindersOnlyWhenDelivered: with no sender that delivers (the log),
// the site offers and promises no reminder; with an SMS provider's HTTP API
// configured (a local fake here), it offers text messages only, sends the
// booking and the "card ready" notice through the provider, and never
// offers e-mail.
func TestRemindersOnlyWhenDelivered(t *testing.T) {
	t.Run("log only", func(t *testing.T) {
		e := newEnv(t, false, Options{Notify: notify.Log{Logger: slog.New(slog.DiscardHandler)}})
		page := e.do(t, "GET", "/es/apply", nil)
		if strings.Contains(page.body, `name="remind"`) || strings.Contains(page.body, "recordatorio") {
			t.Errorf("the apply form offers reminders nobody will send")
		}
		f := applyForm("Ana", "Ruiz")
		f.Set("remind", "sms")
		f.Set("phone", "203-555-0147")
		f.Set("request_key", hidden(page.body, "request_key"))
		r := e.do(t, "POST", "/es/apply", solved(page.body, f, 4))
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `href="#f-remind"`) {
			t.Errorf("a hand-made reminder choice = %d", r.status)
		}
	})

	fake := &smsProvider{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	sms, err := notify.NewSMSHTTP(srv.URL+"/v1/messages", "Authorization", "Bearer test", "", `{"to":{{json .To}},"body":{{json .Text}}}`, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	sender := notify.Route{SMS: sms}
	e := newEnv(t, false, Options{Notify: sender})
	page := e.do(t, "GET", "/es/apply", nil)
	if !strings.Contains(page.body, `value="sms"`) || strings.Contains(page.body, `value="email"`) {
		t.Errorf("with an SMS provider only, the form should offer text messages and not e-mail")
	}
	f := applyForm("Juan", "Ortiz")
	f.Set("dob_day", "25")
	f.Set("dob_month", "12")
	f.Set("dob_year", "1990")
	f.Set("remind", "sms")
	f.Set("phone", "(203) 555-0147")
	code := e.preapply(t, f)
	find := e.do(t, "POST", "/es/book", url.Values{"step": {"find"}, "code": {code}, "site": {e.siteID}})
	bf := solved(find.body, url.Values{"step": {"book"}, "code": {code}, "site": {e.siteID}, "slot": {hidden(find.body, "slot")},
		"request_key": {hidden(find.body, "request_key")}}, 4)
	if r := e.do(t, "POST", "/es/book", bf); !strings.Contains(r.body, "Le enviaremos un recordatorio.") {
		t.Errorf("booked with SMS reminders, the page does not say so")
	}
	pre, err := e.site.preapps.Load(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	e.app.Cards.OnPrinted(CardReady(e.app.Services, sender))
	e.printedCard(t, pre.ID)
	got := fake.bodies()
	if len(got) != 2 {
		t.Fatalf("provider got %d messages, want the booking and the card-ready notice: %v", len(got), got)
	}
	if !strings.Contains(got[0], `"to":"+12035550147"`) || !strings.Contains(got[0], "Recordatorio: su cita") {
		t.Errorf("booking message = %s", got[0])
	}
	if want := "Su tarjeta de identificación de la ciudad está lista. Recójala en City Hall, 165 Church St. Traiga su código o su recibo. Preguntas: 203-946-8000."; !strings.Contains(got[1], want) {
		t.Errorf("card-ready message = %s\nwant %s", got[1], want)
	}
	for _, m := range got {
		if strings.Contains(m, "Juan") || strings.Contains(m, "Ortiz") || strings.Contains(m, code) {
			t.Errorf("a message names the resident or the code: %s", m)
		}
	}
}

// smsProvider is a local fake of an SMS provider's HTTP API.
type smsProvider struct {
	mu   sync.Mutex
	msgs []string
}

func (f *smsProvider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	if r.Header.Get("Authorization") != "Bearer test" || r.URL.Path != "/v1/messages" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	f.msgs = append(f.msgs, string(b))
	f.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

func (f *smsProvider) bodies() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.msgs...)
}

// TestLostCardByNumberWithConfirmation: the card's number works as well as
// the reference code; the first answer names the card and blocks nothing;
// only the confirmation suspends it; every answer says where to go and what
// a replacement costs.
func TestLostCardByNumberWithConfirmation(t *testing.T) {
	e := newEnv(t, false, Options{})
	_, c := e.printedCard(t, "")
	n := c.Number.String()
	look := url.Values{"code": {n}, "dob_day": {"25"}, "dob_month": {"12"}, "dob_year": {"1990"}}
	first := e.do(t, "POST", "/es/lost", look)
	main := section(first.body, "<main", "</main>")
	last4 := c.Number.Compact()[9:]
	for _, w := range []string{"¿Bloqueamos esta tarjeta?", "Tarjeta que termina en •••• " + last4, "Sí, bloquear mi tarjeta",
		"Una tarjeta de reemplazo cuesta $", "City Hall 165 Church St", "Lunes a viernes: 09:00–17:00", "Teléfono: 203-946-8000"} {
		if !strings.Contains(main, w) {
			t.Errorf("the first answer lacks %q:\n%s", w, main)
		}
	}
	if strings.Contains(main, c.Number.Compact()) || strings.Contains(main, "Juan") {
		t.Errorf("the confirmation shows the whole number or the name")
	}
	if got, _ := e.app.Cards.Get(context.Background(), c.ID); got.Status != card.StatusActive {
		t.Fatalf("the card is %s before the holder confirmed", got.Status)
	}
	wrong := url.Values{"code": {n}, "dob_day": {"26"}, "dob_month": {"12"}, "dob_year": {"1990"}, "confirm": {"yes"}}
	if r := e.do(t, "POST", "/es/lost", wrong); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "no coinciden") {
		t.Errorf("a wrong birth date with the card number = %d", r.status)
	}
	confirm := url.Values{}
	for _, k := range []string{"code", "dob_day", "dob_month", "dob_year", "confirm"} {
		confirm.Set(k, hidden(first.body, k))
	}
	done := e.do(t, "POST", "/es/lost", confirm)
	if !strings.Contains(done.body, "Su tarjeta está bloqueada.") || !strings.Contains(done.body, "Para pedir una tarjeta nueva, vaya a una de estas oficinas.") {
		t.Errorf("after confirming:\n%s", section(done.body, "<main", "</main>"))
	}
	if got, _ := e.app.Cards.Get(context.Background(), c.ID); got.Status != card.StatusSuspended || got.Reason != "reported_lost" {
		t.Errorf("after confirming the card is %s (%s)", got.Status, got.Reason)
	}
}

// TestBookWithoutOnlineBooking: when no office books online, "Make an
// appointment" says so and lists where to go and when, instead of a form
// with an empty list of offices and a button that can only fail.
func TestBookWithoutOnlineBooking(t *testing.T) {
	e := newEnv(t, false, Options{})
	ctx := context.Background()
	st, err := e.app.Sites.Get(ctx, e.siteID)
	if err != nil {
		t.Fatal(err)
	}
	st.Active = false // the only office with booking rules
	if err := e.app.Sites.Update(ctx, auth.System(), st); err != nil {
		t.Fatal(err)
	}
	var hours site.WeekHours
	hours[time.Tuesday] = []site.Span{{From: "13:00", To: "18:30"}}
	if _, err := e.app.Sites.Create(ctx, auth.System(), site.Site{Name: "Fair Haven Library", Kind: site.KindPartner,
		Address: "182 Grand Ave", Hours: hours, Active: true}); err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string][]string{
		"es": {"Por ahora ninguna oficina da citas en línea.", "Fair Haven Library", "182 Grand Ave", "Martes: 13:00–18:30"},
		"en": {"No office takes appointments online at the moment.", "Fair Haven Library", "Tuesday: 1:00 PM–6:30 PM"},
	} {
		r := e.do(t, "GET", "/"+lang+"/book", nil)
		main := section(r.body, "<main", "</main>")
		if r.status != http.StatusOK || strings.Contains(main, `<select id="f-site"`) {
			t.Errorf("GET /%s/book = %d, want 200 without the office list:\n%s", lang, r.status, main)
		}
		for _, w := range want {
			if !strings.Contains(html.UnescapeString(main), w) {
				t.Errorf("GET /%s/book lacks %q:\n%s", lang, w, main)
			}
		}
	}
}

// TestBookingSiteWithoutAddress: a partner site or a mobile unit may have
// no street address; the site picker and the times page then show its
// name alone ("Casa Latina", not "Casa Latina – " or "Casa Latina, ").
func TestBookingSiteWithoutAddress(t *testing.T) {
	e := newEnv(t, false, Options{})
	ctx := context.Background()
	st, err := e.app.Sites.Create(ctx, auth.System(), site.Site{Name: "Casa Latina", Kind: site.KindPartner})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.site.Booking().SetRules(ctx, st.ID, booking.DefaultRules()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.site.Booking().Publish(ctx, st.ID, person.DateOf(e.clk.Now()), person.DateOf(e.clk.Now().AddDate(0, 0, 13))); err != nil {
		t.Fatal(err)
	}
	code := e.preapply(t, applyForm("Rosa", "Díaz"))
	pick := html.UnescapeString(e.do(t, "GET", "/es/book", nil).body)
	if !strings.Contains(pick, ">Casa Latina</option>") {
		t.Errorf("site picker does not offer the partner by its name alone: %s", regexp.MustCompile(`<option[^>]*>[^<]*Casa Latina[^<]*</option>`).FindString(pick))
	}
	find := html.UnescapeString(e.do(t, "POST", "/es/book", url.Values{"step": {"find"}, "code": {code}, "site": {st.ID}}).body)
	if !strings.Contains(find, "<p>Casa Latina</p>") {
		t.Errorf("times page does not name the partner alone: %s", regexp.MustCompile(`<p>Casa Latina[^<]*</p>`).FindString(find))
	}
}
