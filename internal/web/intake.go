package web

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/photo"
)

// Document rows on the intake form. Without JavaScript a "more rows"
// button re-renders with more; the service caps documents at 20.
const (
	defaultDocRows = 6
	maxDocRows     = 20
	// methodWaiver is the payment-method choice that records a waiver.
	methodWaiver = fee.MethodWaiver
)

// intakeView is the intake page's data beyond the form values.
type intakeView struct {
	Rows          []int
	DocOptions    []option
	SexOptions    []option
	LangOptions   []option
	MethodOptions []option
	WaiverOptions []option
	Evidence      *evidenceView
	Fee           string
	FeeCategory   string
	AskIssuer     string // space-separated document codes whose issuer may be recorded
	AskDated      string // space-separated document codes recorded by issue date, not expiry
	// DatedRules says each "dated within N days" rule in words, for the
	// hint above the documents table.
	DatedRules []string
	Photo      []byte // the draft's stored photo, if any
	PhotoLost  bool   // a photo was sent but could not be kept
	Waivers    bool
}

// evidenceView is the evidence check in plain words.
type evidenceView struct {
	OK      bool
	Summary string
	Lines   []string
}

func (s *Server) evidenceView(c *call, res evidence.Result) *evidenceView {
	v := &evidenceView{OK: res.OK}
	if res.OK {
		v.Summary = c.P.T("web.evidence.ok")
	} else {
		v.Summary = c.P.T("web.evidence.missing")
	}
	for _, m := range append(res.Missing, res.Notes...) {
		v.Lines = append(v.Lines, c.P.T(m.Key, "n", m.N, "document", s.documentName(c, m.Document)))
	}
	return v
}

// documentName is a catalogue code's display name in the page's language.
func (s *Server) documentName(c *call, code string) string {
	if d, ok := s.svc.Settings.Document(code); ok {
		return config.DocumentName(d, c.P.Lang, c.P.T)
	}
	return code
}

// newIdempotencyKey is put in every intake form so a double click or a
// resubmitted form creates one application.
func newIdempotencyKey() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("idempotency key: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

func (s *Server) intakeForm(w http.ResponseWriter, r *http.Request, c *call) error {
	if r.URL.Query().Get("draft") == "" {
		return s.blankIntakeForm(w, r, c)
	}
	// A saved draft, read for review (audited).
	a, err := s.svc.Applications.Get(r.Context(), c.Actor, r.URL.Query().Get("draft"), enroll.PurposeReview)
	if err != nil {
		return err
	}
	if a.Status != enroll.StatusDraft {
		return httplayer.Fail(http.StatusConflict, "web.error.state", fmt.Errorf("application %s is %s", a.ID, a.Status))
	}
	p := s.newPage(r, c, "web.intake.title")
	p.Form = applicationForm(a)
	if r.URL.Query().Get("saved") != "" {
		p.Flash = p.T("web.intake.saved")
	}
	key, err := newIdempotencyKey()
	if err != nil {
		return err
	}
	if p.Form.Get("idempotency_key") == "" {
		p.Form.Set("idempotency_key", key)
	}
	p.Data = s.intakeView(c, p.Form, a)
	return s.views.render(w, http.StatusOK, "intake", "layout", p)
}

// blankIntakeForm is the form for a new applicant: its content comes from
// s.blankIntake (the same for everyone in a language but for the
// idempotency key), the layout around it is rendered for this clerk.
func (s *Server) blankIntakeForm(w http.ResponseWriter, r *http.Request, c *call) error {
	key, err := newIdempotencyKey()
	if err != nil {
		return err
	}
	today := person.DateOf(s.svc.Now().In(s.svc.Location))
	content, err := s.blankIntake.get(c.P.Lang, today, func(marker string) (string, error) {
		// Rendered for no one in particular: the content must not show who
		// asks (the layout does).
		bc := &call{P: c.P}
		p := s.newPage(r, bc, "web.intake.title")
		p.Form.Set("language", c.P.Lang)
		p.Form.Set("idempotency_key", marker)
		p.Data = s.intakeView(bc, p.Form, nil)
		return s.views.content("intake", p)
	})
	if err != nil {
		return err
	}
	p := s.newPage(r, c, "web.intake.title")
	p.Body = template.HTML(content.with(key))
	return s.views.renderShell(w, http.StatusOK, "intake", p)
}

// intakeView computes the live parts of the page (evidence, fee) from the
// form values without storing anything.
func (s *Server) intakeView(c *call, form url.Values, draft *enroll.Application) *intakeView {
	st := *s.svc.Settings
	rows := defaultDocRows
	if n, err := strconv.Atoi(form.Get("rows")); err == nil && n > rows {
		rows = min(n, maxDocRows)
	}
	v := &intakeView{Waivers: len(st.Fees.WaiverReasons) > 0}
	for i := range rows {
		v.Rows = append(v.Rows, i)
	}
	v.DocOptions = append(v.DocOptions, option{Value: "", Label: c.P.T("web.intake.doc_none")})
	var ask, dated []string
	for _, d := range st.Documents {
		name := config.DocumentName(d, c.P.Lang, c.P.T)
		label := name
		if d.DatedWithinDays > 0 {
			dated = append(dated, d.Code)
			rule := c.P.T("web.intake.dated_rule", "n", d.DatedWithinDays)
			label = name + " — " + rule
			v.DatedRules = append(v.DatedRules, name+": "+rule)
		}
		v.DocOptions = append(v.DocOptions, option{Value: d.Code, Label: label})
		if d.AskIssuer {
			ask = append(ask, d.Code)
		}
	}
	v.AskIssuer = strings.Join(ask, " ")
	v.AskDated = strings.Join(dated, " ")
	v.SexOptions = []option{{"", c.P.T("web.sex.not_shown"), false}, {"F", c.P.T("web.sex.f"), false}, {"M", c.P.T("web.sex.m"), false}, {"X", c.P.T("web.sex.x"), false}}
	for _, l := range st.Program.Languages {
		v.LangOptions = append(v.LangOptions, option{Value: l, Label: c.P.T("web.lang.name." + l)})
	}
	v.MethodOptions = append(v.MethodOptions, option{Value: "", Label: c.P.T("web.intake.method_choose")})
	for _, m := range st.Fees.PaymentMethods {
		v.MethodOptions = append(v.MethodOptions, option{Value: m, Label: c.P.T("fee.method." + m)})
	}
	if v.Waivers {
		v.MethodOptions = append(v.MethodOptions, option{Value: methodWaiver, Label: c.P.T("web.intake.method_waiver")})
		v.WaiverOptions = append(v.WaiverOptions, option{Value: "", Label: c.P.T("web.intake.waiver_choose")})
		for _, wr := range st.Fees.WaiverReasons {
			v.WaiverOptions = append(v.WaiverOptions, option{Value: wr, Label: c.P.T("fee.waiver." + wr)})
		}
	}
	in, _ := intakeFromForm(form, nil)
	res, q, _ := s.svc.Applications.Check(in)
	v.Evidence = s.evidenceView(c, res)
	v.Fee = fee.Format(q.AmountCents, st.Fees.Currency, c.P.Lang)
	v.FeeCategory = c.P.T("web.category." + q.Category)
	if draft != nil {
		v.Photo = draft.Photo
	}
	return v
}

// applicationForm turns a stored application back into form values.
func applicationForm(a *enroll.Application) url.Values {
	f := url.Values{}
	set := func(k, v string) {
		if v != "" {
			f.Set(k, v)
		}
	}
	flag := func(k string, b bool) {
		if b {
			f.Set(k, "1")
		}
	}
	set("draft_id", a.ID)
	person.FormOf(a.Person).Write(f.Set)
	flag("caretaker", a.Caretaker)
	for i, d := range a.Documents {
		set("doc_type_"+strconv.Itoa(i), d.Type)
		set("doc_issuer_"+strconv.Itoa(i), d.Issuer)
		set("doc_expires_"+strconv.Itoa(i), d.Expires.String())
		set("doc_dated_"+strconv.Itoa(i), d.Dated.String())
	}
	if len(a.Documents) > defaultDocRows {
		f.Set("rows", strconv.Itoa(len(a.Documents)))
	}
	if a.Payment.WaiverReason != "" {
		f.Set("payment_method", methodWaiver)
	} else {
		set("payment_method", a.Payment.Method)
	}
	set("waiver_reason", a.Payment.WaiverReason)
	set("waiver_note", a.Payment.WaiverNote)
	return f
}

// minimizeForm drops issuers the catalogue does not ask for (a passport's
// issuer would record nationality), so they are neither stored nor echoed
// back into a re-rendered form.
func (s *Server) minimizeForm(f url.Values) {
	for i := range maxDocRows {
		n := strconv.Itoa(i)
		d, ok := s.svc.Settings.Document(f.Get("doc_type_" + n))
		if !ok || !d.AskIssuer {
			f.Del("doc_issuer_" + n)
		}
		// One date per row: the issue date where the type must be recent
		// (a utility bill), the expiry elsewhere.
		if ok && d.DatedWithinDays > 0 {
			f.Del("doc_expires_" + n)
		} else {
			f.Del("doc_dated_" + n)
		}
	}
}

// intakeFromForm reads the form into an Intake. Dates that do not parse
// are field errors; everything else is checked by the enroll service.
// quote, when not nil, sets the amount due for a paid method.
func intakeFromForm(f url.Values, quote *fee.Quote) (enroll.Intake, person.Errors) {
	var pf person.Form
	pf.Read(f.Get)
	var errs person.Errors
	dob, fe := formDate(f, "date_of_birth")
	if fe != nil {
		errs = append(errs, *fe)
	}
	pf.DateOfBirth = dob
	p, perrs := pf.Person()
	errs = append(errs, perrs...)
	on := func(k string) bool { return f.Get(k) == "1" }
	in := enroll.Intake{Person: p, Caretaker: on("caretaker"), IdempotencyKey: f.Get("idempotency_key")}
	for i := range maxDocRows {
		n := strconv.Itoa(i)
		typ := strings.TrimSpace(f.Get("doc_type_" + n))
		if typ == "" {
			continue
		}
		in.Documents = append(in.Documents, evidence.Shown{
			Type: typ, Issuer: strings.TrimSpace(f.Get("doc_issuer_" + n)),
			Expires: errs.Date("doc_expires_"+n, f.Get("doc_expires_"+n)),
			Dated:   errs.Date("doc_dated_"+n, f.Get("doc_dated_"+n)),
		})
	}
	method := f.Get("payment_method")
	if method == methodWaiver {
		in.Payment = fee.Payment{WaiverReason: f.Get("waiver_reason"), WaiverNote: strings.TrimSpace(f.Get("waiver_note"))}
	} else if method != "" {
		in.Payment = fee.Payment{Method: method}
		if quote != nil {
			in.Payment.AmountCents = quote.AmountCents
		}
	}
	return in, errs
}

// maxPhotoBytes is the largest photo upload intake takes.
func (s *Server) maxPhotoBytes() int64 {
	if mb := s.svc.Settings.Photo.MaxUploadMB; mb > 0 {
		return int64(mb) << 20
	}
	return photo.DefaultSpec().MaxUploadBytes
}

// maxPhotoMB is maxPhotoBytes in whole megabytes, for the error message.
func (s *Server) maxPhotoMB() int { return int(s.maxPhotoBytes() >> 20) }

// readIntake streams the multipart form: text fields into values, the
// photo into memory (bounded), never to a temporary file on disk where
// an unencrypted face would outlive the request.
func (s *Server) readIntake(w http.ResponseWriter, r *http.Request) (url.Values, []byte, error) {
	maxPhoto := s.maxPhotoBytes()
	// A photo over the limit is read past (not kept) so the rest of the
	// form still arrives: a camera original of a few times the limit must
	// not cost the clerk everything typed.
	r.Body = http.MaxBytesReader(w, r.Body, 4*maxPhoto+1<<20)
	ct := r.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "multipart/form-data") {
		if err := r.ParseForm(); err != nil {
			return nil, nil, httplayer.Fail(http.StatusBadRequest, "web.error.bad_request", err)
		}
		return r.PostForm, nil, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, httplayer.Fail(http.StatusBadRequest, "web.error.bad_request", err)
	}
	vals := url.Values{}
	var photoBytes []byte
	tooLarge := false
	const maxField = 4 << 10
	for fields := 0; ; fields++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, httplayer.TooLargeOr(err)
		}
		if fields > 200 {
			return nil, nil, httplayer.Fail(http.StatusBadRequest, "web.error.bad_request", errors.New("too many form fields"))
		}
		name := part.FormName()
		if name == "photo" {
			photoBytes, err = readPart(part, maxPhoto)
			if errors.Is(err, errPhotoTooLarge) {
				photoBytes, tooLarge = nil, true
				if _, err := io.Copy(io.Discard, part); err != nil {
					return nil, nil, httplayer.TooLargeOr(err)
				}
				continue
			}
			if err != nil {
				return nil, nil, err
			}
			continue
		}
		b, err := readPart(part, maxField)
		if err != nil {
			return nil, nil, err
		}
		vals.Add(name, string(b))
	}
	if tooLarge {
		return vals, nil, httplayer.Fail(http.StatusRequestEntityTooLarge, "web.intake.photo_too_large", errPhotoTooLarge)
	}
	return vals, photoBytes, nil
}

// errPhotoTooLarge: the photo part is over the upload limit; readIntake
// still returns the other fields with it.
var errPhotoTooLarge = errors.New("photo upload over the limit")

func readPart(part *multipart.Part, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(part, limit+1))
	if err != nil {
		return nil, httplayer.TooLargeOr(err)
	}
	if n > limit {
		if part.FormName() == "photo" {
			return nil, httplayer.Fail(http.StatusRequestEntityTooLarge, "web.intake.photo_too_large", errPhotoTooLarge)
		}
		return nil, httplayer.Fail(http.StatusBadRequest, "web.error.bad_request", fmt.Errorf("form field %q too long", part.FormName()))
	}
	return buf.Bytes(), nil
}

// intakePost handles the form's buttons: check, more rows, save draft, submit.
func (s *Server) intakePost(w http.ResponseWriter, r *http.Request, c *call) error {
	form, photoBytes, err := s.readIntake(w, r)
	if errors.Is(err, errPhotoTooLarge) && form != nil {
		// Everything else arrived: show it again with the photo's error.
		s.minimizeForm(form)
		p := s.newPage(r, c, "web.intake.title")
		p.Form = form
		form.Del("action")
		return s.rerenderIntake(w, r, c, p, nil, person.Errors{{Field: "photo", Key: "web.intake.photo_too_large", N: s.maxPhotoMB()}}, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	s.minimizeForm(form)
	action := form.Get("action")
	p := s.newPage(r, c, "web.intake.title")
	p.Form = form
	form.Del("action")

	switch action {
	case "more":
		n, _ := strconv.Atoi(form.Get("rows"))
		form.Set("rows", strconv.Itoa(min(max(n, defaultDocRows)+3, maxDocRows)))
		return s.rerenderIntake(w, r, c, p, photoBytes, nil, http.StatusOK)
	case "check":
		return s.rerenderIntake(w, r, c, p, photoBytes, nil, http.StatusOK)
	case "draft", "submit":
	default:
		return httplayer.Fail(http.StatusBadRequest, "web.error.bad_request", fmt.Errorf("unknown intake action %q", action))
	}

	// The amount due is the program's fee for this person, never a number
	// from the form.
	in0, _ := intakeFromForm(form, nil)
	_, q, _ := s.svc.Applications.Check(in0)
	in, dateErrs := intakeFromForm(form, &q)
	in.Photo = photoBytes
	if len(dateErrs) > 0 {
		return s.rerenderIntake(w, r, c, p, photoBytes, dateErrs, http.StatusUnprocessableEntity)
	}
	id := form.Get("draft_id")
	var a *enroll.Application
	if action == "draft" {
		a, err = s.svc.Applications.SaveDraft(r.Context(), c.Actor, id, in)
	} else {
		a, err = s.svc.Applications.Submit(r.Context(), c.Actor, id, in)
	}
	if fe := fieldErrors(err); fe != nil {
		return s.rerenderIntake(w, r, c, p, photoBytes, fe, http.StatusUnprocessableEntity)
	}
	if errors.Is(err, enroll.ErrState) && id != "" && action == "submit" {
		// The draft was submitted already: a second click on Submit, or
		// the same draft submitted from another tab. Show what exists.
		if done, gerr := s.svc.Applications.GetWithoutPhoto(r.Context(), c.Actor, id, enroll.PurposeReceipt); gerr == nil && done.Status != enroll.StatusDraft {
			a, err = done, nil
		}
	}
	if err != nil {
		return err
	}
	if action == "draft" {
		http.Redirect(w, r, "/staff/intake?draft="+url.QueryEscape(a.ID)+"&saved=1", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/staff/applications/"+url.PathEscape(a.ID)+"/receipt?purpose="+string(enroll.PurposeReceipt), http.StatusSeeOther)
	return nil
}

// rerenderIntake shows the form again with what was typed. A photo that
// came with the request would be lost (a file input cannot be refilled),
// so it is kept by saving the intake as a draft first; only when even a
// draft cannot be saved is the clerk asked to take the photo again.
func (s *Server) rerenderIntake(w http.ResponseWriter, r *http.Request, c *call, p *page, photoBytes []byte, errs person.Errors, status int) error {
	var draft *enroll.Application
	lost := false
	if len(photoBytes) > 0 {
		in, _ := intakeFromForm(p.Form, nil)
		in.Photo = photoBytes
		d, err := s.svc.Applications.SaveDraft(r.Context(), c.Actor, p.Form.Get("draft_id"), in)
		switch {
		case err == nil:
			draft = d
			p.Form.Set("draft_id", d.ID)
			p.Notice = p.T("web.intake.kept_as_draft")
		case fieldErrors(err) != nil:
			lost = true
			for _, fe := range fieldErrors(err) {
				if fe.Field == "photo" {
					errs = append(errs, fe)
				}
			}
		default:
			return err
		}
	} else if id := p.Form.Get("draft_id"); id != "" {
		d, err := s.svc.Applications.Get(r.Context(), c.Actor, id, enroll.PurposeReview)
		if err != nil {
			return err
		}
		draft = d
	}
	return s.renderIntake(w, c, p, draft, errs, status, func(v *intakeView) { v.PhotoLost = lost })
}

// renderIntake shows the intake form with errs: a fresh idempotency key
// when the form has none, the live evidence check and fee, and whatever
// adjust sets on the view (nil: nothing).
func (s *Server) renderIntake(w http.ResponseWriter, c *call, p *page, draft *enroll.Application, errs person.Errors, status int, adjust func(*intakeView)) error {
	if p.Form.Get("idempotency_key") == "" {
		key, err := newIdempotencyKey()
		if err != nil {
			return err
		}
		p.Form.Set("idempotency_key", key)
	}
	p.setErrors(errs)
	v := s.intakeView(c, p.Form, draft)
	if adjust != nil {
		adjust(v)
	}
	p.Data = v
	return s.views.render(w, status, "intake", "layout", p)
}

// intakeCheck is the live evidence check: the small script posts the form
// here and swaps in the fragment; without the header it is the full page.
func (s *Server) intakeCheck(w http.ResponseWriter, r *http.Request, c *call) error {
	form, _, err := s.readIntake(w, r)
	if err != nil && (!errors.Is(err, errPhotoTooLarge) || form == nil) {
		return err
	}
	s.minimizeForm(form)
	p := s.newPage(r, c, "web.intake.title")
	p.Form = form
	v := s.intakeView(c, form, nil)
	p.Data = v
	if r.Header.Get("X-Fragment") == "evidence" {
		return s.views.render(w, http.StatusOK, "intake", "evidence", p)
	}
	return s.views.render(w, http.StatusOK, "intake", "layout", p)
}
