package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/i18n"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/throttle"
)

// maxCardList is how many cards one list page shows.
const maxCardList = 200

// mountCards adds the card pages for supervisors, the public verifier page
// and the public key and status-list endpoints verifiers fetch. Without a
// card service (no signing keyring in the data directory) none exist.
func (s *Server) mountCards(pages *http.ServeMux) {
	staff, h := s.staffOnly, s.handle
	// In the nav for statistics roles; shows nothing when cards are off.
	pages.Handle("GET /staff/verifications", staff(s.verificationsPage, roleStats...))
	if s.svc.Cards == nil {
		return
	}
	// Clerks work the pick-up lists and hand cards over at their site's
	// desk (the card service confines them to it); the rest is supervisors'.
	pages.Handle("GET /staff/cards", staff(s.cardList, roleIntake...))
	pages.Handle("POST /staff/cards/print", staff(s.cardPrint, roleReview...))
	pages.Handle("POST /staff/cards/issue", staff(s.cardIssueBatch, roleReview...))
	pages.Handle("GET /staff/cards/{id}", staff(s.cardView, roleIntake...))
	pages.Handle("GET /staff/cards/{id}/preview/{side}", staff(s.cardPreview, roleIntake...))
	pages.Handle("POST /staff/cards/{id}/handover", staff(s.cardAction, roleIntake...))
	pages.Handle("POST /staff/cards/{id}/phone", staff(s.cardPhone, roleIntake...))
	pages.Handle("POST /staff/cards/{id}/{action}", staff(s.cardAction, roleReview...))
	pages.Handle("POST /staff/applications/{id}/issue", staff(s.cardIssue, roleReview...))

	// /es/verify, /en/verify…: a teller's bookmark or a link from the
	// resident site in a language opens the verifier in it, as the
	// language switch does (cookie, then /verify): the results, the phone
	// tab and a retake stay in it, whatever the browser's Accept-Language.
	for _, l := range s.svc.I18n.Languages() {
		pages.Handle("GET /"+l+"/verify", h(s.inLanguage(l, "/verify")))
		if s.svc.Presentations != nil {
			pages.Handle("GET /"+l+"/verify/phone", h(s.inLanguage(l, "/verify/phone")))
		}
	}
	v := &verifier{s: s, limit: throttle.New(verifyPagePerMinute, verifyPageBurst, verifyPageClients, s.svc.Now)}
	s.svc.Guard.Share(v.limit, "web.verify")
	pages.Handle("GET /verify", h(v.form))
	pages.Handle("POST /verify", h(v.check))
	if s.svc.Presentations != nil {
		pv := &phoneVerifier{s: s, pv: s.svc.Presentations, limit: v.limit}
		pages.Handle("GET /verify/phone", h(pv.form))
		pages.Handle("POST /verify/phone", h(pv.start))
		pages.Handle("GET /verify/phone/{handle}", h(pv.show))
		pages.Handle("GET /verify/phone/return/{id}", h(pv.back))
	}

	// Public, cacheable, no session: what offline verifiers fetch.
	pages.Handle("GET /status/{id}", s.svc.Cards.StatusListHandler())
	pages.Handle("GET /.well-known/jwks.json", s.svc.Cards.JWKSHandler())
	pages.Handle("GET /.well-known/cose-keys", s.svc.Cards.COSEKeysHandler())
}

// cardRow is one card in a list.
type cardRow struct {
	card.Card
	StatusText string
	Printed    bool
	Site       string // on the pick-up lists
	Waiting    int    // days since printing, on the pick-up lists
}

type cardListView struct {
	Tab      string
	Tabs     []navLink
	Statuses []option
	Sites    []option // the pick-up lists' site filter (supervisors)
	Rows     []cardRow
	Queue    bool // rows can be selected for printing
	Counts   []verifyCount
	// The "approved, card to issue" list: applications, not cards.
	Apps       []issueRow
	Results    []batchRow // what a batch issue did
	Overdue    int        // card.pickup_overdue_days
	ShowCounts bool       // verification counters, for supervisors
}

type verifyCount struct {
	Day, Outcome string
	Checks       int64
}

var allStatuses = []card.Status{card.StatusActive, card.StatusSuspended, card.StatusRevoked, card.StatusExpired, card.StatusReplaced}

// verificationCounts sums the verification counters of days from..to by
// day and outcome, over every partner: counts only, nothing about which
// cards were checked. Newest day first.
func (s *Server) verificationCounts(r *http.Request, c *call, from, to string) []verifyCount {
	if s.svc.Cards == nil {
		return nil
	}
	counts, err := s.svc.Cards.Counts(r.Context(), c.Actor, from, to)
	if err != nil {
		s.log.Warn("verification counts", "err", err)
		return nil
	}
	sum := map[[2]string]int64{}
	var keys [][2]string
	for _, vc := range counts {
		k := [2]string{vc.Day, vc.Outcome}
		if _, ok := sum[k]; !ok {
			keys = append(keys, k)
		}
		sum[k] += vc.Checks
	}
	slices.SortFunc(keys, func(a, b [2]string) int {
		if a[0] != b[0] {
			return strings.Compare(b[0], a[0])
		}
		return strings.Compare(a[1], b[1])
	})
	out := make([]verifyCount, 0, len(keys))
	for _, k := range keys {
		label := c.P.T("verify.reason." + k[1])
		if k[1] == "valid" {
			label = c.P.T("verify.status.valid")
		}
		if rest, ok := strings.CutPrefix(k[1], "phone_"); ok { // phone credential checks
			what := c.P.T("present.reason." + rest)
			if rest == "valid" {
				what = c.P.T("verify.status.valid")
			}
			label = c.P.T("present.counter", "reason", what)
		}
		day := k[0]
		if d, err := person.ParseDate(day); err == nil {
			day = c.P.DayMonth(d.Time())
		}
		out = append(out, verifyCount{Day: day, Outcome: label, Checks: sum[k]})
	}
	return out
}

// localDay is the program's calendar day of t, as YYYY-MM-DD.
func (s *Server) localDay(t time.Time) string {
	return t.In(s.svc.Location).Format("2006-01-02")
}

// verificationsPage shows the last 30 days of verification counters to
// supervisors, administrators and auditors.
func (s *Server) verificationsPage(w http.ResponseWriter, r *http.Request, c *call) error {
	now := s.svc.Now()
	p := s.newPage(r, c, "cards_web.counts.page_title")
	p.Data = s.verificationCounts(r, c, s.localDay(now.AddDate(0, 0, -29)), s.localDay(now))
	return s.views.render(w, http.StatusOK, "verifications", "layout", p)
}

// cardPrint sends the selected cards as one PDF: card pages for the card
// printer (which records them as printed) or a letter proof sheet.
func (s *Server) cardPrint(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ids := r.PostForm["id"]
	if len(ids) == 0 || len(ids) > maxCardList {
		return httplayer.Fail(http.StatusBadRequest, "cards_web.error.select", errors.New("print: no cards selected"))
	}
	sheet, name := card.CardPages, "cards.pdf"
	if r.PostForm.Get("sheet") == "proof" {
		sheet, name = card.ProofSheet, "proof.pdf"
	}
	pdf, err := s.svc.Cards.Print(r.Context(), c.Actor, ids, sheet)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, err = w.Write(pdf)
	return err
}

type cardView struct {
	C            card.Card
	Status       string
	Kind         string
	Reason       string
	SuspendOpts  []option
	ReinstOpts   []option
	RevokeOpts   []option
	ReplaceOpts  []option
	MethodOpts   []option
	WaiverOpts   []option
	Waivers      bool
	ReplaceFee   string
	CanHandOver  bool
	CanPhone     bool
	Phones       int       // live phone credentials of the card
	PhoneIssued  time.Time // when the newest was issued
	CanSuspend   bool
	CanReinstate bool
	CanRevoke    bool
	CanRenew     bool
	CanReplace   bool
	CanPrint     bool
	ShowPreview  bool
	Supervisor   bool
	Site         string
	// Reference is the application's reference, as the receipt and the
	// lists show it; ReplacesNo and ReplacedByNo the other cards' numbers.
	Reference    string
	ReplacesNo   string
	ReplacedByNo string
}

// cardNumber is the printed number of card id, grouped as on the card, or
// "" when there is no such card or the actor may not see it.
func (s *Server) cardNumber(ctx context.Context, c *call, id string) string {
	if id == "" {
		return ""
	}
	other, err := s.svc.Cards.Visible(ctx, c.Actor, id)
	if err != nil {
		return ""
	}
	return other.Number.String()
}

func (s *Server) cardView(w http.ResponseWriter, r *http.Request, c *call) error {
	cd, err := s.svc.Cards.Visible(r.Context(), c.Actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	p := s.newPage(r, c, "cards_web.card.title")
	if done := r.URL.Query().Get("done"); done != "" && c.P.T("cards_web.done."+done) != "cards_web.done."+done {
		p.Flash = p.T("cards_web.done." + done)
	}
	return s.renderCard(r.Context(), w, http.StatusOK, p, c, cd)
}

func (s *Server) renderCard(ctx context.Context, w http.ResponseWriter, status int, p *page, c *call, cd card.Card) error {
	st := *s.svc.Settings
	v := &cardView{C: cd, Status: c.P.T("card.status." + string(cd.Status)), Kind: c.P.T("card.kind." + string(cd.Kind))}
	if cd.Reason != "" {
		v.Reason = reasonText(c.P, cd.Reason)
	}
	active, suspended := cd.Status == card.StatusActive, cd.Status == card.StatusSuspended
	v.Supervisor = c.Actor.Can(roleReview...)
	v.CanHandOver = active && !cd.PrintedAt.IsZero() && cd.HandedOverAt.IsZero()
	v.ShowPreview = s.svc.Cards.PreviewShown(cd) && (v.Supervisor || v.CanHandOver)
	v.CanPhone = s.svc.Cards.PhoneOfferOpen(cd)
	if n, at, err := s.svc.Cards.PhoneStatus(ctx, cd.ID); err == nil {
		v.Phones, v.PhoneIssued = n, at
	}
	if v.Supervisor {
		v.CanPrint = v.ShowPreview
		v.CanSuspend, v.CanReinstate = active, suspended
		v.CanRevoke = active || suspended
		v.CanRenew = s.svc.Cards.RenewalOpen(cd)
		v.CanReplace = active || suspended
	}
	if site, err := s.svc.Applications.SiteOf(ctx, cd.ApplicationID); err == nil {
		v.Site = s.siteNames(ctx)[site]
	}
	if ref, err := s.svc.Applications.ReferenceOf(ctx, cd.ApplicationID); err == nil {
		v.Reference = ref
	}
	v.ReplacesNo, v.ReplacedByNo = s.cardNumber(ctx, c, cd.Replaces), s.cardNumber(ctx, c, cd.ReplacedBy)
	v.SuspendOpts = reasonOptions(c.P, card.SuspendReasons)
	v.ReinstOpts = reasonOptions(c.P, card.ReinstateReasons)
	v.RevokeOpts = reasonOptions(c.P, card.RevokeReasons)
	v.ReplaceOpts = reasonOptions(c.P, card.ReplacementReasons)
	v.MethodOpts = append(v.MethodOpts, option{Value: "", Label: c.P.T("web.intake.method_choose")})
	for _, m := range st.Fees.PaymentMethods {
		v.MethodOpts = append(v.MethodOpts, option{Value: m, Label: c.P.T("fee.method." + m)})
	}
	if v.Waivers = len(st.Fees.WaiverReasons) > 0; v.Waivers {
		v.MethodOpts = append(v.MethodOpts, option{Value: fee.MethodWaiver, Label: c.P.T("web.intake.method_waiver")})
		v.WaiverOpts = append(v.WaiverOpts, option{Value: "", Label: c.P.T("web.intake.waiver_choose")})
		for _, wr := range st.Fees.WaiverReasons {
			v.WaiverOpts = append(v.WaiverOpts, option{Value: wr, Label: c.P.T("fee.waiver." + wr)})
		}
	}
	v.ReplaceFee = fee.Format(st.Fees.Replacement, st.Fees.Currency, c.P.Lang)
	p.Data = v
	return s.views.render(w, status, "card", "layout", p)
}

// reasonText is a reason code's text: "card.reason.<code>", or the code.
func reasonText(pr i18n.Printer, code string) string {
	if t := pr.T("card.reason." + code); t != "card.reason."+code {
		return t
	}
	return code
}

func reasonOptions(pr i18n.Printer, codes []string) []option {
	out := []option{{Value: "", Label: pr.T("cards_web.reason_choose")}}
	for _, code := range codes {
		out = append(out, option{Value: code, Label: reasonText(pr, code)})
	}
	return out
}

// cardPreview serves one side of the card as a PNG. It shows the holder's
// data, so only signed-in supervisors reach it, the card service audits
// the read, and nothing may cache it.
func (s *Server) cardPreview(w http.ResponseWriter, r *http.Request, c *call) error {
	side := card.Side(r.PathValue("side"))
	if side != card.Front && side != card.Back {
		return httplayer.Fail(http.StatusNotFound, "web.error.not_found", errors.New("no such card side"))
	}
	png, err := s.svc.Cards.Preview(r.Context(), c.Actor, r.PathValue("id"), side)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(png)
	return err
}

// cardAction runs a lifecycle change from the card page.
func (s *Server) cardAction(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx, id, f := r.Context(), r.PathValue("id"), r.PostForm
	action := r.PathValue("action")
	if action == "" { // the clerks' route names it literally
		action = "handover"
	}
	// Each form on the card page names its fields after its action, so
	// the page has no two controls with the same id.
	field := func(name string) string { return f.Get(action + "_" + name) }
	reason := field("reason")
	cs := s.svc.Cards
	var out card.Card
	var err error
	switch action {
	case "handover":
		out, err = cs.HandOver(ctx, c.Actor, id)
	case "suspend":
		out, err = cs.Suspend(ctx, c.Actor, id, reason)
	case "reinstate":
		out, err = cs.Reinstate(ctx, c.Actor, id, reason)
	case "revoke":
		out, err = cs.Revoke(ctx, c.Actor, id, reason)
	case "renew", "replace":
		var pay fee.Payment
		pay, err = s.cardPayment(r, c, id, action, field)
		if err == nil && action == "renew" {
			out, err = cs.Renew(ctx, c.Actor, id, pay)
		} else if err == nil {
			out, err = cs.Replace(ctx, c.Actor, id, reason, pay)
		}
	default:
		return httplayer.Fail(http.StatusNotFound, "web.error.not_found", errors.New("no such card action"))
	}
	if err != nil {
		return s.cardFormError(w, r, c, id, action, err)
	}
	http.Redirect(w, r, "/staff/cards/"+url.PathEscape(out.ID)+"?done="+action, http.StatusSeeOther)
	return nil
}

// cardPayment reads the fee fields (the intake page's) for a renewal or a
// replacement; the amount is the program's fee for it, which for a renewal
// depends on the holder's age (an audited read, as Renew makes anyway).
func (s *Server) cardPayment(r *http.Request, c *call, id, action string, field func(string) string) (fee.Payment, error) {
	method := field("payment_method")
	if method == fee.MethodWaiver {
		return fee.Payment{WaiverReason: field("waiver_reason"), WaiverNote: strings.TrimSpace(field("waiver_note"))}, nil
	}
	if method == "" {
		return fee.Payment{}, nil
	}
	st := s.svc.Settings.Fees
	pay := fee.Payment{Method: method, AmountCents: st.Replacement}
	if action == "renew" {
		cd, err := s.svc.Cards.Get(r.Context(), id)
		if err != nil {
			return fee.Payment{}, err
		}
		a, err := s.svc.Applications.Get(r.Context(), c.Actor, cd.ApplicationID, enroll.PurposeRenewal)
		if err != nil {
			return fee.Payment{}, err
		}
		today := person.DateOf(s.svc.Now().In(s.svc.Location))
		pay.AmountCents = fee.Compute(st, fee.KindRenewal, a.Person.DateOfBirth, today).AmountCents
	}
	return pay, nil
}

// cardFormError shows a refused change on the card page, translated;
// anything else goes to the error page.
func (s *Server) cardFormError(w http.ResponseWriter, r *http.Request, c *call, id, action string, err error) error {
	cd, gerr := s.svc.Cards.Get(r.Context(), id)
	if gerr != nil {
		return err
	}
	p := s.newPage(r, c, "cards_web.card.title")
	p.Form = r.PostForm
	var pe *card.PaymentError
	var msg string
	switch {
	case errors.As(err, &pe):
		errs := make(person.Errors, len(pe.Fields))
		for i, fe := range pe.Fields {
			if fe.Field == "payment_amount" {
				fe.Field = "payment_method"
			}
			errs[i] = person.FieldError{Field: action + "_" + fe.Field, Key: fe.Key}
		}
		p.setErrors(errs)
	case errors.Is(err, card.ErrWindow):
		opens, closes := s.renewalWindow(c.P, cd)
		msg = c.P.T("card.error.renewal_window", "opens", opens, "closes", closes)
	case errors.Is(err, card.ErrReason):
		p.setErrors(person.Errors{{Field: action + "_reason", Key: "card.error.reason"}})
	case errors.Is(err, card.ErrState), errors.Is(err, card.ErrReprint), errors.Is(err, enroll.ErrState):
		msg = c.P.T("card.error.state")
		if errors.Is(err, card.ErrReprint) {
			msg = c.P.T("card.error.reprint_grace")
		}
	default:
		return err
	}
	if msg != "" {
		p.Errs = append(p.Errs, fieldMsg{Field: "", ID: "card-actions", Message: msg})
	}
	s.log.Info("card change refused", "route", r.Pattern, "err", err)
	status := http.StatusUnprocessableEntity
	if httplayer.Classify(err).Status == http.StatusConflict {
		status = http.StatusConflict
	}
	return s.renderCard(r.Context(), w, status, p, c, cd)
}

// renewalWindow is when cd may be renewed, as dates in pr's language.
func (s *Server) renewalWindow(pr i18n.Printer, cd card.Card) (string, string) {
	cc := s.svc.Settings.Card
	exp := cd.ExpiresOn.Time()
	return pr.Date(exp.AddDate(0, 0, -cc.RenewalWindowBeforeDays)), pr.Date(exp.AddDate(0, 0, cc.RenewalWindowAfterDays))
}

// cardIssue turns an approved application into a card and opens its page.
func (s *Server) cardIssue(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	cd, err := s.svc.Cards.Issue(r.Context(), c.Actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/staff/cards/"+url.PathEscape(cd.ID)+"?done=issue", http.StatusSeeOther)
	return nil
}

// applicationCards lists an application's cards for supervisors (card
// rows hold no personal data); nil for other roles or when cards are off.
func (s *Server) applicationCards(ctx context.Context, c *call, applicationID string) []cardRow {
	if s.svc.Cards == nil || !c.Actor.Can(roleReview...) {
		return nil
	}
	cards, err := s.svc.Cards.List(ctx, card.Filter{ApplicationID: applicationID, Limit: 20})
	if err != nil {
		s.log.Warn("application cards", "err", err)
		return nil
	}
	out := make([]cardRow, len(cards))
	for i, cd := range cards {
		out[i] = cardRow{Card: cd, StatusText: c.P.T("card.status." + string(cd.Status)), Printed: !cd.PrintedAt.IsZero()}
	}
	return out
}

// canIssue reports whether the staff member may issue a card for a.
func (s *Server) canIssue(by auth.Actor, a *enroll.Application) bool {
	return s.svc.Cards != nil && by.Can(roleReview...) && a.Status == enroll.StatusApproved
}
