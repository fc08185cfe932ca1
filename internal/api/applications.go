package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/person"
)

// applicationRequest is the body of POST /api/v1/applications and
// /applications/check. Dates are "YYYY-MM-DD" strings so a bad date is a
// field error, not a parse failure of the whole body.
type applicationRequest struct {
	Submit         bool           `json:"submit"`
	DraftID        string         `json:"draft_id"`
	IdempotencyKey string         `json:"idempotency_key"`
	Person         person.Form    `json:"person"`
	Documents      []documentJSON `json:"documents"`
	Caretaker      bool           `json:"caretaker"`
	Payment        paymentJSON    `json:"payment"`
	Photo          []byte         `json:"photo"` // base64 JPEG/PNG/WebP
}

type documentJSON struct {
	Type    string `json:"type"`
	Issuer  string `json:"issuer,omitempty"`
	Expires string `json:"expires,omitempty"`
	// Dated is the issue date of a document that must be recent (a utility
	// bill "dated within N days").
	Dated string `json:"dated,omitempty"`
}

type paymentJSON struct {
	Method       string `json:"method,omitempty"`
	WaiverReason string `json:"waiver_reason,omitempty"`
	WaiverNote   string `json:"waiver_note,omitempty"`
}

// maxDocuments bounds the documents array before the service sees it.
const maxDocuments = 20

// intake converts a request; dates that do not parse are field errors.
func (req applicationRequest) intake() (enroll.Intake, person.Errors) {
	p, errs := req.Person.Person()
	in := enroll.Intake{Person: p, Caretaker: req.Caretaker, Photo: req.Photo, IdempotencyKey: req.IdempotencyKey}
	if len(req.Documents) > maxDocuments {
		errs = append(errs, person.FieldError{Field: "documents", Key: "error.too_many"})
	} else {
		for i, d := range req.Documents {
			in.Documents = append(in.Documents, evidence.Shown{Type: d.Type, Issuer: d.Issuer,
				Expires: errs.Date("documents."+strconv.Itoa(i)+".expires", d.Expires),
				Dated:   errs.Date("documents."+strconv.Itoa(i)+".dated", d.Dated)})
		}
	}
	in.Payment = fee.Payment{Method: req.Payment.Method, WaiverReason: req.Payment.WaiverReason, WaiverNote: req.Payment.WaiverNote}
	return in, errs
}

// applicationJSON is an application as the API returns it.
type applicationJSON struct {
	ID          string         `json:"id"`
	Reference   string         `json:"reference"`
	Status      string         `json:"status"`
	SiteID      string         `json:"site_id"`
	ClerkID     string         `json:"clerk_id"`
	Person      person.Form    `json:"person"`
	Documents   []documentJSON `json:"documents"`
	Caretaker   bool           `json:"caretaker"`
	Photo       []byte         `json:"photo,omitempty"` // base64 JPEG
	Fee         quoteJSON      `json:"fee"`
	Payment     paymentOut     `json:"payment"`
	Evidence    evidenceJSON   `json:"evidence"`
	Decision    *decisionJSON  `json:"decision,omitempty"`
	CreatedAt   time.Time      `json:"created_at"`
	SubmittedAt *time.Time     `json:"submitted_at,omitempty"`
}

type quoteJSON struct {
	Category    string `json:"category"`
	AmountCents int    `json:"amount_cents"`
	Currency    string `json:"currency"`
	Display     string `json:"display"`
}

type paymentOut struct {
	Method       string `json:"method,omitempty"`
	AmountCents  int    `json:"amount_cents"`
	WaiverReason string `json:"waiver_reason,omitempty"`
	WaiverNote   string `json:"waiver_note,omitempty"`
}

type evidenceJSON struct {
	OK              bool          `json:"ok"`
	IdentityPoints  int           `json:"identity_points"`
	ResidencyPoints int           `json:"residency_points"`
	Missing         []missingJSON `json:"missing"`
}

type missingJSON struct {
	Code    string `json:"code"`
	N       int    `json:"n"`
	Message string `json:"message"`
}

type decisionJSON struct {
	Reason  string    `json:"reason,omitempty"`
	Message string    `json:"message,omitempty"`
	Note    string    `json:"note,omitempty"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
}

func (x *API) quote(c *call, q fee.Quote) quoteJSON {
	cur := x.svc.Settings.Fees.Currency
	return quoteJSON{Category: q.Category, AmountCents: q.AmountCents, Currency: cur, Display: fee.Format(q.AmountCents, cur, c.P.Lang)}
}

func evidenceOut(c *call, res evidence.Result) evidenceJSON {
	out := evidenceJSON{OK: res.OK, IdentityPoints: res.IdentityPoints, ResidencyPoints: res.ResidencyPoints, Missing: []missingJSON{}}
	for _, m := range res.Missing {
		out.Missing = append(out.Missing, missingJSON{Code: m.Key, N: m.N, Message: c.P.T(m.Key, "n", m.N)})
	}
	return out
}

func (x *API) applicationOut(c *call, a *enroll.Application) applicationJSON {
	out := applicationJSON{ID: a.ID, Reference: a.Reference, Status: string(a.Status), SiteID: a.SiteID, ClerkID: a.ClerkID,
		Person: person.FormOf(a.Person), Documents: []documentJSON{}, Caretaker: a.Caretaker, Photo: a.Photo, Fee: x.quote(c, a.Quote),
		Payment:  paymentOut{Method: a.Payment.Method, AmountCents: a.Payment.AmountCents, WaiverReason: a.Payment.WaiverReason, WaiverNote: a.Payment.WaiverNote},
		Evidence: evidenceOut(c, a.Evidence), CreatedAt: a.CreatedAt}
	for _, d := range a.Documents {
		out.Documents = append(out.Documents, documentJSON{Type: d.Type, Issuer: d.Issuer, Expires: d.Expires.String(), Dated: d.Dated.String()})
	}
	if !a.SubmittedAt.IsZero() {
		t := a.SubmittedAt
		out.SubmittedAt = &t
	}
	if !a.DecidedAt.IsZero() {
		d := &decisionJSON{Reason: a.DecisionReason, Note: a.DecisionNote, By: a.DecidedBy, At: a.DecidedAt}
		if a.DecisionReason != "" {
			d.Message = c.P.T("review.reason." + a.DecisionReason)
		}
		out.Decision = d
	}
	return out
}

// bodyLimit allows the photo (base64 grows it by 4/3) plus the rest.
func (x *API) bodyLimit() int64 { return x.maxPhoto*4/3 + 64<<10 }

func (x *API) createApplication(w http.ResponseWriter, r *http.Request, c *call) error {
	var req applicationRequest
	if err := decode(w, r, x.bodyLimit(), &req); err != nil {
		return err
	}
	in, errs := req.intake()
	if len(errs) > 0 {
		return &enroll.ValidationError{Fields: errs}
	}
	// The amount due is the program's fee, never a number from the client.
	if in.Payment.Method != "" && in.Payment.WaiverReason == "" {
		_, q, _ := x.svc.Applications.Check(in)
		in.Payment.AmountCents = q.AmountCents
	}
	var a *enroll.Application
	var err error
	if req.Submit {
		a, err = x.svc.Applications.Submit(r.Context(), c.Actor, req.DraftID, in)
	} else {
		a, err = x.svc.Applications.SaveDraft(r.Context(), c.Actor, req.DraftID, in)
	}
	if err != nil {
		return err
	}
	if a.Repeated {
		// A retry of a submission already made: which record and its
		// status only (GET it, with a purpose, to read it).
		writeJSON(w, http.StatusCreated, map[string]string{"id": a.ID, "status": string(a.Status)})
		return nil
	}
	out := x.applicationOut(c, a)
	out.Photo = nil // the caller just sent it
	writeJSON(w, http.StatusCreated, out)
	return nil
}

type checkResponse struct {
	Evidence evidenceJSON          `json:"evidence"`
	Fee      quoteJSON             `json:"fee"`
	Fields   []httplayer.FieldJSON `json:"fields"`
}

func (x *API) checkApplication(w http.ResponseWriter, r *http.Request, c *call) error {
	var req applicationRequest
	if err := decode(w, r, x.bodyLimit(), &req); err != nil {
		return err
	}
	in, errs := req.intake()
	res, q, ferrs := x.svc.Applications.Check(in)
	out := checkResponse{Evidence: evidenceOut(c, res), Fee: x.quote(c, q), Fields: []httplayer.FieldJSON{}}
	for _, fe := range append(errs, ferrs...) {
		out.Fields = append(out.Fields, httplayer.FieldJSON{Field: fe.Field, Code: fe.Key, Message: c.P.T(fe.Key, "n", fe.N)})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type summaryJSON struct {
	ID          string     `json:"id"`
	Reference   string     `json:"reference"`
	SiteID      string     `json:"site_id"`
	Status      string     `json:"status"`
	AgeCategory string     `json:"age_category"`
	Language    string     `json:"language"`
	EvidenceOK  bool       `json:"evidence_ok"`
	CreatedAt   time.Time  `json:"created_at"`
	SubmittedAt *time.Time `json:"submitted_at,omitempty"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (x *API) listApplications(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	f := enroll.ListFilter{SiteID: q.Get("site_id"), Limit: 50}
	for _, st := range q["status"] {
		for _, one := range strings.Split(st, ",") {
			switch s := enroll.Status(one); s {
			case "":
			case enroll.StatusDraft, enroll.StatusSubmitted, enroll.StatusNeedsReview,
				enroll.StatusApproved, enroll.StatusRejected, enroll.StatusIssued:
				f.Statuses = append(f.Statuses, s)
			default:
				return &enroll.ValidationError{Fields: person.Errors{{Field: "status", Key: "error.invalid_choice"}}}
			}
		}
	}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		f.Limit = min(n, 500)
	}
	if n, err := strconv.Atoi(q.Get("offset")); err == nil && n > 0 {
		f.Offset = n
	}
	list, err := x.svc.Applications.List(r.Context(), c.Actor, f)
	if err != nil {
		return err
	}
	out := make([]summaryJSON, len(list))
	for i, a := range list {
		out[i] = summaryJSON{ID: a.ID, Reference: a.Reference, SiteID: a.SiteID, Status: string(a.Status), AgeCategory: a.AgeCategory,
			Language: a.Language, EvidenceOK: a.EvidenceOK, CreatedAt: a.CreatedAt, SubmittedAt: timePtr(a.SubmittedAt), DecidedAt: timePtr(a.DecidedAt)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"applications": out})
	return nil
}

func (x *API) getApplication(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := x.reads.take(r.Context(), c.Actor); err != nil {
		return err
	}
	// The purpose is one of enroll.Purposes (anything else is refused and
	// audited, never repeated); an optional note is sealed with the record.
	q := r.URL.Query()
	a, err := x.svc.Applications.GetNoted(r.Context(), c.Actor, r.PathValue("id"), enroll.Purpose(q.Get("purpose")), q.Get("note"))
	if errors.Is(err, errs.ErrForbidden) && c.Actor.Can(auth.RoleClerk) {
		// As the staff pages do: a clerk, whose role reads applications of
		// one site, is never told that another site's record exists. (A
		// role that reads none, such as an auditor, gets 403.) The refusal
		// is audited.
		return &httplayer.Error{Status: http.StatusNotFound, Code: "not_found", Key: "api.error.not_found", Cause: err}
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, x.applicationOut(c, a))
	return nil
}

type decisionRequest struct {
	Reason string `json:"reason"`
	Note   string `json:"note"`
}

func (x *API) approve(w http.ResponseWriter, r *http.Request, c *call) error {
	var req decisionRequest
	if err := decode(w, r, 8<<10, &req); err != nil {
		return err
	}
	if err := x.svc.Applications.Approve(r.Context(), c.Actor, r.PathValue("id"), req.Note); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id"), "status": string(enroll.StatusApproved)})
	return nil
}

func (x *API) reject(w http.ResponseWriter, r *http.Request, c *call) error {
	var req decisionRequest
	if err := decode(w, r, 8<<10, &req); err != nil {
		return err
	}
	if err := x.svc.Applications.Reject(r.Context(), c.Actor, r.PathValue("id"), req.Reason, req.Note); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id"), "status": string(enroll.StatusRejected)})
	return nil
}
