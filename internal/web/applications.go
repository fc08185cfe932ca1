package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/i18n"
	"github.com/cityid/cityid/internal/person"
)

// summaryRow is one line of a list: no names, no dates of birth.
type summaryRow struct {
	ID, Reference, Site, Status, StatusLabel, Category, Language string
	Draft                                                        bool
	When                                                         string
	// Flag says why it waits for a supervisor (possible duplicate, screening failed).
	Flag string
}

func (s *Server) siteNames(ctx context.Context) map[string]string {
	out := map[string]string{}
	sites, err := s.svc.Sites.List(ctx)
	if err != nil {
		s.log.Warn("list sites", "err", err)
		return out
	}
	for _, st := range sites {
		out[st.ID] = st.Name
	}
	return out
}

func (s *Server) summaryRows(ctx context.Context, c *call, list []enroll.Summary) []summaryRow {
	names := s.siteNames(ctx)
	rows := make([]summaryRow, len(list))
	for i, a := range list {
		when := a.UpdatedAt
		if !a.SubmittedAt.IsZero() {
			when = a.SubmittedAt
		}
		rows[i] = summaryRow{ID: a.ID, Reference: a.Reference, Site: names[a.SiteID], Status: string(a.Status),
			StatusLabel: c.P.T("web.status." + string(a.Status)), Category: c.P.T("web.category." + a.AgeCategory),
			Language: c.P.T("web.lang.name." + a.Language), Draft: a.Status == enroll.StatusDraft,
			When: s.formatTime(c.P, when)}
		switch a.ReviewReason {
		case enroll.ReviewPossibleDuplicate:
			rows[i].Flag = c.P.T("dup.flag_short")
		case enroll.ReviewScreeningFailed:
			rows[i].Flag = c.P.T("dup.screening_failed_short")
		case enroll.ReviewScreeningPending:
			rows[i].Flag = c.P.T("dup.screening_pending_short")
		case enroll.ReviewRevokedStation:
			rows[i].Flag = c.P.T("field.revoked_station_short")
		}
	}
	return rows
}

// applicationsPage is how many rows one page of the list shows.
const applicationsPage = 50

type applicationListView struct {
	Rows       []summaryRow
	Statuses   []option
	Prev, Next string // paging links, "" at either end
	Page       int
	Filtered   bool
}

// applicationList is a clerk's "my site" list (a supervisor sees every
// site): filtered by status, searched by reference, a page at a time.
func (s *Server) applicationList(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	p := s.newPage(r, c, "web.applications.title")
	f := enroll.ListFilter{Limit: applicationsPage + 1}
	v := applicationListView{Page: 1}
	v.Statuses = append(v.Statuses, option{Value: "", Label: c.P.T("desk.apps.any_status")})
	for _, st := range statusOrder {
		if st == enroll.StatusNeedsReview && c.Actor.Role == auth.RoleClerk {
			continue // a clerk sees it as submitted
		}
		v.Statuses = append(v.Statuses, option{Value: string(st), Label: c.P.T("web.status." + string(st))})
		if q.Get("status") == string(st) {
			f.Statuses = []enroll.Status{st}
			p.Form.Set("status", string(st))
		}
	}
	if typed := strings.TrimSpace(q.Get("q")); typed != "" {
		p.Form.Set("q", typed)
		prefix, ok := enroll.ReferencePrefix(typed)
		if !ok {
			p.setErrors(person.Errors{{Field: "q", Key: "desk.apps.bad_reference"}})
		}
		f.ReferencePrefix = prefix
	}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 && n <= 10000 {
		v.Page = n
	}
	f.Offset = (v.Page - 1) * applicationsPage
	v.Filtered = len(f.Statuses) > 0 || f.ReferencePrefix != ""
	var list []enroll.Summary
	if len(p.Errs) == 0 {
		var err error
		if list, err = s.svc.Applications.List(r.Context(), c.Actor, f); err != nil {
			return err
		}
	}
	link := func(page int) string {
		u := url.Values{}
		for _, k := range []string{"status", "q"} {
			if p.Form.Get(k) != "" {
				u.Set(k, p.Form.Get(k))
			}
		}
		if page > 1 {
			u.Set("page", strconv.Itoa(page))
		}
		if len(u) == 0 {
			return "/staff/applications"
		}
		return "/staff/applications?" + u.Encode()
	}
	if len(list) > applicationsPage {
		list = list[:applicationsPage]
		v.Next = link(v.Page + 1)
	}
	if v.Page > 1 {
		v.Prev = link(v.Page - 1)
	}
	v.Rows = s.summaryRows(r.Context(), c, list)
	p.Data = v
	status := http.StatusOK
	if len(p.Errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return s.views.render(w, status, "applications", "layout", p)
}

// queue is the supervisor's review queue, oldest first, all sites.
func (s *Server) queue(w http.ResponseWriter, r *http.Request, c *call) error {
	list, err := s.svc.Applications.List(r.Context(), c.Actor, enroll.ListFilter{
		Statuses: []enroll.Status{enroll.StatusSubmitted, enroll.StatusNeedsReview}, Limit: 200,
	})
	if err != nil {
		return err
	}
	p := s.newPage(r, c, "web.queue.title")
	if r.URL.Query().Get("done") != "" {
		p.Flash = p.T("web.review.done")
	}
	p.Data = s.summaryRows(r.Context(), c, list)
	return s.views.render(w, http.StatusOK, "queue", "layout", p)
}

type purposeView struct {
	Action  string
	Options []option
}

// openApplication opens a record for display. A decided record needs a
// purpose picked from a list; without one the purpose form is shown and
// nil is returned. photo says whether the page shows the portrait: one
// that does not (the receipt) leaves the sealed photo unread.
func (s *Server) openApplication(w http.ResponseWriter, r *http.Request, c *call, defaultPurpose enroll.Purpose, photo bool) (*enroll.Application, error) {
	id := r.PathValue("id")
	purpose := enroll.Purpose(r.URL.Query().Get("purpose"))
	if purpose == "" {
		// The row's status is not personal data; peek at it to know whether
		// a purpose must be asked. Access is still checked (and audited) by Get.
		if st, ok := s.svc.Applications.NeedsPurpose(r.Context(), c.Actor, id); ok {
			p := s.newPage(r, c, "web.purpose.title")
			v := purposeView{Action: r.URL.Path}
			v.Options = append(v.Options, option{Value: "", Label: p.T("web.purpose.choose")})
			for _, pu := range enroll.PurposesFor(st) {
				v.Options = append(v.Options, option{Value: string(pu), Label: p.T(pu.MessageKey())})
			}
			p.Data = v
			return nil, s.views.render(w, http.StatusOK, "purpose", "layout", p)
		}
		purpose = defaultPurpose
	}
	get := s.svc.Applications.Get
	if !photo {
		get = s.svc.Applications.GetWithoutPhoto
	}
	a, err := get(r.Context(), c.Actor, id, purpose)
	if errors.Is(err, errs.ErrForbidden) {
		// Do not confirm that another site's record exists.
		return nil, httplayer.Fail(http.StatusNotFound, "web.error.not_found", err)
	}
	return a, err
}

// applicationView shows a whole application; supervisors decide here.
type applicationView struct {
	A          *enroll.Application
	Site       string
	Status     string
	Documents  []docRow
	Evidence   *evidenceView
	Fee        string
	Payment    string
	Sex        string
	Language   string
	CanDecide  bool
	CanIssue   bool
	Cards      []cardRow // the application's cards, for supervisors
	Reasons    []option
	Decision   string
	ReceiptURL string
}

type docRow struct{ Name, Issuer, Expires string }

func (s *Server) applicationView(w http.ResponseWriter, r *http.Request, c *call) error {
	a, err := s.openApplication(w, r, c, enroll.PurposeReview, true)
	if a == nil || err != nil {
		return err
	}
	p := s.newPage(r, c, "web.review.title")
	p.Form.Set("reason", r.URL.Query().Get("reason"))
	p.Data = s.applicationViewData(r.Context(), c, a)
	return s.views.render(w, http.StatusOK, "review", "layout", p)
}

func (s *Server) applicationViewData(ctx context.Context, c *call, a *enroll.Application) applicationView {
	st := *s.svc.Settings
	v := applicationView{A: a, Status: c.P.T("web.status." + string(a.Status)), Evidence: s.evidenceView(c, a.Evidence)}
	if site, err := s.svc.Sites.Get(ctx, a.SiteID); err == nil {
		v.Site = site.Name
	}
	for _, d := range a.Documents {
		name := d.Type
		if doc, ok := st.Document(d.Type); ok {
			name = config.DocumentName(doc, c.P.Lang, c.P.T)
		}
		v.Documents = append(v.Documents, docRow{Name: name, Issuer: d.Issuer, Expires: dayIn(c.P, d.Expires)})
	}
	v.Fee = fee.Format(a.Quote.AmountCents, st.Fees.Currency, c.P.Lang)
	v.Payment = paymentText(c.P, st, a.Payment)
	v.Sex = sexLabel(c.P, a.Person.Sex)
	v.Language = c.P.T("web.lang.name." + a.Person.Language)
	v.CanDecide = c.Actor.Can(auth.RoleSupervisor) && (a.Status == enroll.StatusSubmitted || a.Status == enroll.StatusNeedsReview)
	v.CanIssue = s.canIssue(c.Actor, a)
	v.Cards = s.applicationCards(ctx, c, a.ID)
	v.Reasons = append(v.Reasons, option{Value: "", Label: c.P.T("web.review.reason_choose")})
	for _, rr := range st.Review.RejectReasons {
		v.Reasons = append(v.Reasons, option{Value: rr, Label: c.P.T("review.reason." + rr)})
	}
	if a.DecisionReason != "" {
		v.Decision = c.P.T("review.reason." + a.DecisionReason)
	}
	v.ReceiptURL = "/staff/applications/" + url.PathEscape(a.ID) + "/receipt?purpose=" + string(enroll.PurposeReceipt)
	return v
}

func sexLabel(p i18n.Printer, sx person.Sex) string {
	switch sx {
	case person.SexFemale:
		return p.T("web.sex.f")
	case person.SexMale:
		return p.T("web.sex.m")
	case person.SexX:
		return p.T("web.sex.x")
	}
	return p.T("web.sex.not_shown")
}

func paymentText(p i18n.Printer, st config.Settings, pay fee.Payment) string {
	if pay.WaiverReason != "" {
		return p.T("web.receipt.waived", "reason", p.T("fee.waiver."+pay.WaiverReason))
	}
	if pay.Method == "" {
		return p.T("web.receipt.unpaid")
	}
	return p.T("web.receipt.paid", "amount", fee.Format(pay.AmountCents, st.Fees.Currency, p.Lang), "method", p.T("fee.method."+pay.Method))
}

func (s *Server) approve(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := s.svc.Applications.Approve(r.Context(), c.Actor, id, strings.TrimSpace(r.PostForm.Get("approve_note"))); err != nil {
		// Both forms on the page have a note; the approve form's is approve_note.
		fe := fieldErrors(err) // shares the error's slice
		for i := range fe {
			if fe[i].Field == "note" {
				fe[i].Field = "approve_note"
			}
		}
		return s.decisionFailed(w, r, c, id, err)
	}
	http.Redirect(w, r, "/staff/queue?done=1", http.StatusSeeOther)
	return nil
}

func (s *Server) reject(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	err := s.svc.Applications.Reject(r.Context(), c.Actor, id, r.PostForm.Get("reason"), strings.TrimSpace(r.PostForm.Get("note")))
	if err != nil {
		return s.decisionFailed(w, r, c, id, err)
	}
	http.Redirect(w, r, "/staff/queue?done=1", http.StatusSeeOther)
	return nil
}

// decisionFailed re-shows the record with the field errors of a decision.
func (s *Server) decisionFailed(w http.ResponseWriter, r *http.Request, c *call, id string, err error) error {
	fe := fieldErrors(err)
	if fe == nil {
		return err
	}
	a, gerr := s.svc.Applications.Get(r.Context(), c.Actor, id, enroll.PurposeReview)
	if gerr != nil {
		return gerr
	}
	p := s.newPage(r, c, "web.review.title")
	p.Form = r.PostForm
	p.setErrors(fe)
	p.Data = s.applicationViewData(r.Context(), c, a)
	return s.views.render(w, http.StatusUnprocessableEntity, "review", "layout", p)
}

// receiptCopy is the receipt in one language. Its labels are looked up
// here rather than by the template: a method call from html/template goes
// through reflection, and the receipt follows every intake.
type receiptCopy struct {
	Labels    receiptLabels
	Program   string
	Lang      string
	Name      string
	Reference string
	Status    string
	StatusKey string
	Payment   string
	Fee       string
	Next      string
	Reason    string
	Date      string
}

// receiptLabels are a receipt copy's fixed texts in its language.
type receiptLabels struct {
	Heading, Reference, Name, Status, Reason, Fee, Date, Next string
}

func newReceiptLabels(pr i18n.Printer) receiptLabels {
	return receiptLabels{Heading: pr.T("web.receipt.heading"), Reference: pr.T("web.receipt.reference"),
		Name: pr.T("web.receipt.name"), Status: pr.T("web.col.status"), Reason: pr.T("web.receipt.reason"),
		Fee: pr.T("web.receipt.fee"), Date: pr.T("web.receipt.date"), Next: pr.T("web.receipt.next")}
}

type receiptView struct {
	Copies []receiptCopy
	ID     string
}

// receipt is the printable page handed to the resident: after submission,
// and again after the decision (approved, or rejected with the reason).
// It is printed in the resident's language first, then English or Spanish.
func (s *Server) receipt(w http.ResponseWriter, r *http.Request, c *call) error {
	a, err := s.openApplication(w, r, c, enroll.PurposeReceipt, false)
	if a == nil || err != nil {
		return err
	}
	st := *s.svc.Settings
	langs := []string{a.Person.Language}
	second := "en"
	if a.Person.Language == "en" || !s.svc.I18n.Has(a.Person.Language) {
		second = "es"
	}
	if !s.svc.I18n.Has(a.Person.Language) {
		langs = []string{"en"}
	}
	langs = append(langs, second)
	v := receiptView{ID: a.ID}
	for _, l := range langs {
		pr := s.svc.I18n.Printer(l)
		rc := receiptCopy{Labels: newReceiptLabels(pr), Program: s.programName(l), Lang: l, Name: a.Person.FullName(), Reference: a.Reference,
			StatusKey: string(a.Status), Status: pr.T("web.status." + string(a.Status)),
			Payment: paymentText(pr, st, a.Payment), Fee: fee.Format(a.Quote.AmountCents, st.Fees.Currency, l),
			Next: pr.T("web.receipt.next." + string(a.Status)), Date: s.formatTime(pr, a.SubmittedAt)}
		if a.DecisionReason != "" {
			rc.Reason = pr.T("review.reason." + a.DecisionReason)
		}
		v.Copies = append(v.Copies, rc)
	}
	p := s.newPage(r, c, "web.receipt.title")
	p.Data = v
	return s.views.render(w, http.StatusOK, "receipt", "layout", p)
}

// formatTime is how a person reads a moment: in the program's time zone,
// named by its abbreviation, never UTC, in pr's language ("December 5,
// 2026, 2:05 PM EST", "5 de diciembre de 2026, 14:05 EST").
func (s *Server) formatTime(pr i18n.Printer, t time.Time) string {
	return pr.DateTime(t.In(s.svc.Location))
}
