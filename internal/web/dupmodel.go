package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"

	"github.com/cityid/cityid/internal/dedup"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/linkage"
)

// modelRow is one stored version of the duplicate model.
type modelRow struct {
	Version                 int64
	Created, Source, State  string
	Trained, HeldOut        int
	Found, RightWhenFlagged string // "29 of 30 (97%)", on the decisions it never trained on
	Shown                   string
	Reason                  string
	CanActivate             bool
}

type modelView struct {
	Off         bool // no duplicate screening on this server
	InUse       string
	CanRollback bool
	Rows        []modelRow
	// Chart sets the percentages the version in use showed on the
	// decisions it never saw against what supervisors decided.
	ChartTitle string
	Chart      template.HTML
	// Spot checks: pairs drawn from those screening does not flag.
	SpotOpen, SpotDecided, SpotSame int
	SpotSummary, SpotHow, SpotDraw  string
}

// modelPage shows an administrator the duplicate model's versions: what
// each learned from, how it did on the reviewers' decisions it never
// trained on, which is in use; and lets them re-estimate now, roll back or
// bring back a version.
func (s *Server) modelPage(w http.ResponseWriter, r *http.Request, c *call) error {
	p := s.newPage(r, c, "dup.model.title")
	v := modelView{InUse: p.T("dup.model.builtin")}
	sc := s.svc.Duplicates
	if sc == nil {
		v.Off = true
		p.Data = v
		return s.views.render(w, http.StatusOK, "model", "layout", p)
	}
	ms, err := sc.Models(r.Context(), c.Actor)
	if err != nil {
		return err
	}
	for _, m := range ms {
		row := modelRow{Version: m.Version, Created: s.formatTime(c.P, m.CreatedAt), Source: p.T("dup.model.source." + m.Source),
			Trained: m.Report.Trained, HeldOut: m.Report.HeldOut, Shown: p.T("dup.model.shown_own"),
			CanActivate: !m.Active && !m.Refused && m.Loads}
		if m.Calibrated {
			row.Shown = p.T("dup.model.shown_calibrated")
		}
		if held := m.Report.Candidate; held.Pairs > 0 {
			row.Found = countOf(p, held.TP, held.Same)
			row.RightWhenFlagged = countOf(p, held.TP, held.TP+held.FP)
		}
		switch {
		case m.Active:
			row.State = p.T("dup.model.state_active")
			v.InUse = p.T("dup.model.version", "n", m.Version)
			v.CanRollback = true
			v.ChartTitle = p.T("dup.model.chart_title", "n", m.Version)
			v.Chart = calibrationChart(p, "model-calibration", v.ChartTitle, m.Report.Candidate.Calibration[:])
		case m.Refused:
			row.State = p.T("dup.model.state_refused")
			row.Reason = p.T("dup.model.refused_why", "f1", fmt.Sprintf("%.3f", m.Report.Candidate.F1), "was", fmt.Sprintf("%.3f", m.Report.Previous.F1))
		case !m.Loads:
			row.State = p.T("dup.model.state_broken")
		default:
			row.State = p.T("dup.model.state_idle")
		}
		v.Rows = append(v.Rows, row)
	}
	_, rep, err := sc.SpotChecks(r.Context(), c.Actor, true)
	if err != nil {
		return err
	}
	lk := s.svc.Settings.Linkage
	v.SpotOpen, v.SpotDecided, v.SpotSame = rep.Open, rep.Decided, rep.Same
	v.SpotSummary = spotSummary(p, rep, lk.AutoClear, lk.Review)
	v.SpotHow = p.T("dup.model.spot.how", "from", fmt.Sprintf("%.0f", 100*lk.AutoClear), "to", fmt.Sprintf("%.0f", 100*lk.Review))
	v.SpotDraw = p.T("dup.model.spot.draw", "n", dedup.SpotCheckPairs)
	p.Notice = modelNotice(p, r.URL.Query().Get("done"), r.URL.Query().Get("v"))
	p.Data = v
	return s.views.render(w, http.StatusOK, "model", "layout", p)
}

// countOf reads "k of n (p%)", or a dash when there were none to count.
func countOf(p *page, k, n int) string {
	if n == 0 {
		return "—"
	}
	return p.T("dup.model.count", "k", k, "total", n, "percent", fmt.Sprintf("%.0f%%", 100*float64(k)/float64(n)))
}

// modelNotice says what the last action did; the page shows the figures.
// Only the known outcomes and a version number are taken from the link.
func modelNotice(p *page, done, version string) string {
	v, err := strconv.ParseInt(version, 10, 64)
	if err != nil || v < 0 {
		return ""
	}
	switch done {
	case "estimated", "refused", "activated", "rolledback", "few", "loading", "builtin", "nothing", "drawn", "drawnnone":
		return p.T("dup.model.done."+done, "n", v)
	}
	return ""
}

// modelEstimate re-estimates the model from the reviewers' decisions now,
// as the daily job does, if there is a decision it has not learned from.
func (s *Server) modelEstimate(w http.ResponseWriter, r *http.Request, c *call) error {
	sc := s.svc.Duplicates
	if sc == nil {
		return errs.ErrNotFound
	}
	// As the daily job: nothing is re-estimated (and no copy stored) when no
	// supervisor has decided a pair since the newest version was made.
	rep, ran, err := sc.EstimateIfNew(r.Context(), s.svc.Applications, c.Actor, s.svc.Now())
	done := "estimated"
	switch {
	case err == nil && !ran:
		done = "nothing"
		if ms, err := sc.Models(r.Context(), c.Actor); err != nil {
			return err
		} else if len(ms) == 0 {
			done = "few" // no decisions at all
		}
	case errors.Is(err, dedup.ErrRefused) && rep.Version > 0:
		done = "refused"
	case errors.Is(err, linkage.ErrFewLabels):
		done = "few"
	case errors.Is(err, enroll.ErrScreeningPending):
		done = "loading"
	case err != nil:
		return err
	}
	return s.modelDone(w, r, done, rep.Version)
}

// modelRollback brings back the version in use before the active one.
func (s *Server) modelRollback(w http.ResponseWriter, r *http.Request, c *call) error {
	sc := s.svc.Duplicates
	if sc == nil {
		return errs.ErrNotFound
	}
	v, err := sc.Rollback(r.Context(), c.Actor, s.svc.Now())
	if errors.Is(err, errs.ErrConflict) {
		return s.modelDone(w, r, "builtin", 0)
	}
	if err != nil {
		return err
	}
	return s.modelDone(w, r, "rolledback", v)
}

// modelActivate puts a stored version (not a refused one) in use.
func (s *Server) modelActivate(w http.ResponseWriter, r *http.Request, c *call) error {
	sc := s.svc.Duplicates
	if sc == nil {
		return errs.ErrNotFound
	}
	v, err := strconv.ParseInt(r.PathValue("version"), 10, 64)
	if err != nil || v <= 0 {
		return errs.ErrNotFound
	}
	if err := sc.Activate(r.Context(), c.Actor, v, s.svc.Now()); err != nil {
		return err
	}
	return s.modelDone(w, r, "activated", v)
}

func (s *Server) modelDone(w http.ResponseWriter, r *http.Request, done string, version int64) error {
	http.Redirect(w, r, fmt.Sprintf("/staff/admin/model?done=%s&v=%d", done, version), http.StatusSeeOther)
	return nil
}
