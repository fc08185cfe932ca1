package web

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"regexp"

	"github.com/cityid/cityid/internal/dedup"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
)

// Spot checks of the duplicate model (dedup.DrawSpotChecks): an
// administrator draws pairs screening scored under the review threshold;
// supervisors decide them here, one pair at a time, as they would a
// possible duplicate. Opening a pair reads both records (audited, purpose
// fraud_review); the list shows no personal data.

type spotRow struct {
	N     int
	Drawn string
	Link  string
}

type spotListView struct {
	Off     bool
	Rows    []spotRow
	Summary string // what the decided pairs say, or ""
	// SameA, SameB link to the two applications of a pair just called one
	// person: screening missed them, and somebody should act on it.
	SameA, SameB string
	// Flagged links to the duplicate review of a pending application a
	// spot check just put there.
	Flagged string
}

type spotPairView struct {
	Sides          []spotSide
	Rows           []comparisonRow
	Same, Distinct string // form actions
}

type spotSide struct {
	App               *enroll.Application
	Heading, PhotoAlt string
}

// appIDPattern is what an application id looks like (randid.New "app"):
// ids taken from a link are checked before they are put in another.
var appIDPattern = regexp.MustCompile(`^app_[a-z0-9]{8,40}$`)

func (s *Server) spotChecksPage(w http.ResponseWriter, r *http.Request, c *call) error {
	p := s.newPage(r, c, "spot.title")
	v := spotListView{}
	sc := s.svc.Duplicates
	if sc == nil {
		v.Off = true
		p.Data = v
		return s.views.render(w, http.StatusOK, "spotchecks", "layout", p)
	}
	open, rep, err := sc.SpotChecks(r.Context(), c.Actor, true)
	if err != nil {
		return err
	}
	for i, o := range open {
		v.Rows = append(v.Rows, spotRow{N: i + 1, Drawn: s.formatTime(c.P, o.DrawnAt),
			Link: "/staff/spot-checks/" + url.PathEscape(o.ApplicationID) + "/" + url.PathEscape(o.CandidateID)})
	}
	v.Summary = spotSummary(p, rep, s.svc.Settings.Linkage.AutoClear, s.svc.Settings.Linkage.Review)
	q := r.URL.Query()
	switch q.Get("done") {
	case "same":
		p.Notice = p.T("spot.done.same")
		if a, b := q.Get("a"), q.Get("b"); appIDPattern.MatchString(a) && appIDPattern.MatchString(b) {
			v.SameA = "/staff/applications/" + a + "?purpose=" + string(enroll.PurposeFraudReview)
			v.SameB = "/staff/applications/" + b + "?purpose=" + string(enroll.PurposeFraudReview)
		}
	case "flagged":
		if f := q.Get("f"); appIDPattern.MatchString(f) {
			p.Notice = p.T("spot.done.flagged")
			v.Flagged = "/staff/applications/" + f + "/duplicates"
		}
	case "distinct":
		p.Notice = p.T("spot.done.distinct")
	case "taken":
		p.Notice = p.T("spot.done.taken")
	}
	p.Data = v
	return s.views.render(w, http.StatusOK, "spotchecks", "layout", p)
}

// spotSummary says what the decided spot checks found, or "" before any.
func spotSummary(p *page, rep dedup.SpotReport, from, to float64) string {
	if rep.Decided == 0 {
		return ""
	}
	pct := func(x float64) string { return fmt.Sprintf("%.0f", 100*x) }
	return p.T("spot.summary", "n", rep.Decided, "same", rep.Same,
		"from", pct(from), "to", pct(to), "low", pct(rep.Low), "high", pct(rep.High))
}

func (s *Server) spotCheckPage(w http.ResponseWriter, r *http.Request, c *call) error {
	sc := s.svc.Duplicates
	if sc == nil {
		return errs.ErrNotFound
	}
	a, b := r.PathValue("a"), r.PathValue("b")
	chk, err := sc.SpotCheck(r.Context(), c.Actor, a, b)
	if err != nil {
		return err
	}
	if chk.Same != nil {
		http.Redirect(w, r, "/staff/spot-checks?done=taken", http.StatusSeeOther)
		return nil
	}
	// Each record opened is an audited read, as on the duplicates page.
	appA, err := s.svc.Applications.Get(r.Context(), c.Actor, a, enroll.PurposeFraudReview)
	if err != nil {
		return err
	}
	appB, err := s.svc.Applications.Get(r.Context(), c.Actor, b, enroll.PurposeFraudReview)
	if err != nil {
		return err
	}
	p := s.newPage(r, c, "spot.pair_title")
	base := "/staff/spot-checks/" + url.PathEscape(a) + "/" + url.PathEscape(b)
	v := spotPairView{Same: base + "/same", Distinct: base + "/distinct", Sides: []spotSide{
		{App: appA, Heading: p.T("spot.first"), PhotoAlt: p.T("spot.photo_first")},
		{App: appB, Heading: p.T("spot.second"), PhotoAlt: p.T("spot.photo_second")}}}
	// No percentage is shown: the supervisor decides from the records.
	if ex, err := sc.Explain(b, appA.Person); err == nil {
		for _, f := range ex.Fields {
			v.Rows = append(v.Rows, comparisonRow{Field: p.T("linkage.field." + f.Field), Left: f.Left, Right: f.Right,
				Level: p.T("linkage.level." + f.Level), Class: levelClass(f.Level)})
		}
	}
	p.Data = v
	return s.views.render(w, http.StatusOK, "spotcheck", "layout", p)
}

// spotDecision records a supervisor's call on a drawn pair.
func (s *Server) spotDecision(same bool) func(http.ResponseWriter, *http.Request, *call) error {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		if err := parseForm(w, r); err != nil {
			return err
		}
		sc := s.svc.Duplicates
		if sc == nil {
			return errs.ErrNotFound
		}
		a, b := r.PathValue("a"), r.PathValue("b")
		flagged, err := sc.DecideSpotCheck(r.Context(), s.svc.Applications, c.Actor, a, b, same, s.svc.Now())
		switch {
		case errors.Is(err, dedup.ErrSpotDecided):
			http.Redirect(w, r, "/staff/spot-checks?done=taken", http.StatusSeeOther)
			return nil
		case err != nil:
			return err
		case same && flagged != "":
			http.Redirect(w, r, "/staff/spot-checks?done=flagged&f="+url.QueryEscape(flagged), http.StatusSeeOther)
			return nil
		case same:
			http.Redirect(w, r, "/staff/spot-checks?done=same&a="+url.QueryEscape(a)+"&b="+url.QueryEscape(b), http.StatusSeeOther)
			return nil
		}
		http.Redirect(w, r, "/staff/spot-checks?done=distinct", http.StatusSeeOther)
		return nil
	}
}

// modelSpotDraw draws pairs for a spot check (administrators).
func (s *Server) modelSpotDraw(w http.ResponseWriter, r *http.Request, c *call) error {
	sc := s.svc.Duplicates
	if sc == nil {
		return errs.ErrNotFound
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	src := s.svc.Rand
	if src == nil {
		src = rand.Reader
	}
	var seed [32]byte
	if _, err := io.ReadFull(src, seed[:]); err != nil {
		return fmt.Errorf("spot checks: seed: %w", err)
	}
	d, err := sc.DrawSpotChecks(r.Context(), c.Actor, dedup.SpotCheckPairs, mrand.New(mrand.NewChaCha8(seed)), s.svc.Now())
	switch {
	case errors.Is(err, enroll.ErrScreeningPending):
		return s.modelDone(w, r, "loading", 0)
	case err != nil:
		return err
	case d.Drawn == 0:
		return s.modelDone(w, r, "drawnnone", int64(d.Screened))
	}
	return s.modelDone(w, r, "drawn", int64(d.Drawn))
}
