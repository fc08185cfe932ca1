package resident

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// bookAs pre-applies with f, finds the site's slots and books the n-th
// free one; it returns the code and the booking page.
func (e *env) bookAs(t *testing.T, f url.Values, n int) (string, resp) {
	t.Helper()
	code := e.preapply(t, f)
	find := e.do(t, "POST", "/es/book", url.Values{"step": {"find"}, "code": {code}, "site": {e.siteID}})
	slots := regexp.MustCompile(`name="slot"[^>]*value="([^"]+)"`).FindAllStringSubmatch(find.body, -1)
	if find.status != http.StatusOK || len(slots) <= n {
		t.Fatalf("find = %d with %d slots\n%s", find.status, len(slots), find.body)
	}
	bf := url.Values{"step": {"book"}, "code": {code}, "site": {e.siteID}, "slot": {slots[n][1]}, "request_key": {hidden(find.body, "request_key")}}
	return code, e.do(t, "POST", "/es/book", solved(find.body, bf, 4))
}

// shape is a page with everything that differs between two bookings
// (times, dates, codes, one-time tokens) blanked out.
func shape(body string) string {
	body = regexp.MustCompile(`value="[^"]*"`).ReplaceAllString(body, `value=""`)
	body = codeRE.ReplaceAllString(body, "CODE")
	return regexp.MustCompile(`[0-9]+`).ReplaceAllString(body, "#")
}

// TestBookingBelongsToItsPreapplication is issue 10's first High finding,
// as the attacker did it over HTTP: knowing a resident's name and date of
// birth, pre-apply as her and book another slot. The one-booking-per-person
// key made that rebook cancel her appointment. Now her booking stays, the
// attacker's answer is the same as anybody's booking (no oracle), and both
// bookings are flagged for staff.
func TestBookingBelongsToItsPreapplication(t *testing.T) {
	e := newEnv(t, false, Options{})
	ctx := context.Background()
	victimCode, victim := e.bookAs(t, applyForm("Ana", "García"), 0)
	if victim.status != http.StatusOK || !strings.Contains(victim.body, "Su cita quedó reservada.") {
		t.Fatalf("victim's booking = %d\n%s", victim.status, victim.body)
	}
	_, control := e.bookAs(t, applyForm("Berta", "Ruiz"), 2) // someone else, for comparison
	_, attack := e.bookAs(t, applyForm("Ana", "García"), 1)
	if attack.status != control.status || shape(attack.body) != shape(control.body) {
		t.Errorf("the booking with a known name and birth date answers differently from any booking (%d vs %d): an oracle", attack.status, control.status)
	}
	pre, err := e.site.preapps.Load(ctx, victimCode)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.site.Booking().Appointment(ctx, pre.ID); err != nil {
		t.Errorf("the victim's booking after the attacker's: %v; want it still booked", err)
	}
	mine := e.do(t, "POST", "/es/book", url.Values{"step": {"find"}, "code": {victimCode}, "site": {e.siteID}})
	if !strings.Contains(mine.body, "Su cita") {
		t.Errorf("the victim's own page no longer shows her appointment:\n%s", mine.body)
	}
	flagged, err := e.site.Booking().Flagged(ctx, e.siteID)
	if err != nil || len(flagged) != 2 {
		t.Errorf("flagged bookings = %d, %v; want both of the same name and birth date", len(flagged), err)
	}
}

// TestWaitlistBelongsToItsPreapplication: someone with the same name and
// date of birth on the waitlist first must not keep the resident off it.
func TestWaitlistBelongsToItsPreapplication(t *testing.T) {
	e := newEnv(t, false, Options{})
	ctx := context.Background()
	join := func(code string) {
		page := e.do(t, "POST", "/es/book", url.Values{"step": {"find"}, "code": {code}, "site": {e.siteID}})
		f := url.Values{"step": {"waitlist"}, "code": {code}, "site": {e.siteID}, "request_key": {hidden(page.body, "request_key")}}
		if r := e.do(t, "POST", "/es/book", solved(page.body, f, 4)); r.status != http.StatusOK {
			t.Fatalf("join waitlist = %d\n%s", r.status, r.body)
		}
	}
	attacker := e.preapply(t, applyForm("Ana", "García"))
	join(attacker)
	victim := e.preapply(t, applyForm("Ana", "García"))
	join(victim)
	pre, err := e.site.preapps.Load(ctx, victim)
	if err != nil {
		t.Fatal(err)
	}
	if _, pos, err := e.site.Booking().Position(ctx, pre.ID); err != nil || pos != 2 {
		t.Errorf("victim's waitlist place = %d, %v; want 2 (behind the other code, not left out)", pos, err)
	}
}

// TestLotteryEntryBelongsToItsPreapplication: the third part of issue 10's
// first High finding. Someone who enters a site's lottery first with a
// resident's name and date of birth must not keep her out of it: her entry
// is taken with the same answer as anyone's, and the draw gives each of
// the two pre-applications its own outcome.
func TestLotteryEntryBelongsToItsPreapplication(t *testing.T) {
	e := newEnv(t, false, Options{})
	ctx := context.Background()
	st := e.lotterySite(t)
	enter := func(code string) resp {
		find := e.do(t, "POST", "/es/book", url.Values{"step": {"find"}, "code": {code}, "site": {st.ID}})
		return e.do(t, "POST", "/es/book", solved(find.body, url.Values{"step": {"lottery"}, "code": {code}, "site": {st.ID}}, 4))
	}
	attacker := e.preapply(t, applyForm("Ana", "García"))
	enter(attacker)
	victim := e.preapply(t, applyForm("Ana", "García"))
	got := enter(victim)
	control := enter(e.preapply(t, applyForm("Berta", "Ruiz")))
	if !strings.Contains(got.body, "Su nombre ya está en el sorteo.") || shape(got.body) != shape(control.body) {
		t.Errorf("the resident's lottery entry after another with her name and birth date = %d, want the same answer as anyone's (entered)\n%s", got.status, got.body)
	}
	// 12:01 in New Haven: the draw is due, and the first look at the site runs it.
	e.clk.t = time.Date(2026, 3, 4, 17, 1, 0, 0, time.UTC)
	e.do(t, "POST", "/es/book", url.Values{"step": {"find"}, "code": {victim}, "site": {st.ID}})
	pre, err := e.site.preapps.Load(ctx, victim)
	if err != nil {
		t.Fatal(err)
	}
	_, _, apptErr := e.site.Booking().Appointment(ctx, pre.ID)
	_, pos, posErr := e.site.Booking().Position(ctx, pre.ID)
	if apptErr != nil && (posErr != nil || pos == 0) {
		t.Errorf("after the draw the resident has neither a time (%v) nor a place in line (%d, %v): her entry was not in the draw", apptErr, pos, posErr)
	}
}

// TestKioskNeedsProofOfWork (issue 10, Low): walk-in tickets cost a
// proof-of-work like bookings. The lobby tablet solves it and takes ticket
// after ticket; a script that does not is stopped after a couple.
func TestKioskNeedsProofOfWork(t *testing.T) {
	e := newEnv(t, false, Options{})
	path := "/es/sites/" + e.siteID + "/kiosk"
	page := e.do(t, "GET", path, nil)
	if hidden(page.body, "pow_challenge") == "" {
		t.Fatalf("the kiosk page carries no proof-of-work challenge:\n%s", page.body)
	}
	for i := range 10 {
		r := e.do(t, "POST", path, solved(page.body, url.Values{}, 4))
		if r.status != http.StatusOK {
			t.Fatalf("ticket %d with a solved challenge = %d, want 200", i+1, r.status)
		}
		page = r // each answer carries the next challenge
	}
	e.clk.Add(10 * 60 * 1e9) // a fresh minute's budget for the script
	got := 0
	for range 10 {
		if e.do(t, "POST", path, url.Values{}).status == http.StatusOK {
			got++
		}
	}
	if got > 3 {
		t.Errorf("a script without proof-of-work took %d tickets in a row; want at most 3", got)
	}
}
