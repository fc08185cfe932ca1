package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/person"
)

// The card desk: the work queues after approval, in the order the work
// flows. Supervisors issue (one by one or in a batch; four eyes hold) and
// print; clerks and supervisors hand printed cards over at their site.
// Every step opens the holder's record under the purpose of that step
// (card_issue, card_print, card_handover), never a borrowed one.

// deskTabs are the lists in work order; clerks see the pick-up lists only.
var (
	deskTabs  = []string{"issue", "queue", "pickup", "overdue", "status"}
	clerkTabs = []string{"pickup", "overdue"}
)

// issueRow is an approved application waiting for its card: no personal data.
type issueRow struct {
	ID, Reference, Site, Approved string
	Mine                          bool // approved by the viewer: four eyes, someone else issues
}

// batchRow is one line of a batch issue's outcome.
type batchRow struct {
	Reference, CardID, Number, Problem string
}

func (s *Server) tabsFor(a auth.Actor) []string {
	if a.Can(roleReview...) {
		return deskTabs
	}
	return clerkTabs
}

func (s *Server) cardList(w http.ResponseWriter, r *http.Request, c *call) error {
	p := s.newPage(r, c, "cards_web.list.title")
	v, err := s.deskData(w, r, c, p, r.URL.Query().Get("tab"))
	if v == nil || err != nil {
		return err
	}
	status := http.StatusOK
	if len(p.Errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return s.views.render(w, status, "cards", "layout", p)
}

// deskData fills p with the list tab; nil with no error means it redirected.
func (s *Server) deskData(w http.ResponseWriter, r *http.Request, c *call, p *page, tab string) (*cardListView, error) {
	ctx := r.Context()
	q := r.URL.Query()
	if typed := strings.TrimSpace(q.Get("number")); typed != "" {
		p.Form.Set("number", typed)
		found, err := s.svc.Cards.ByNumber(ctx, typed)
		if err == nil {
			http.Redirect(w, r, "/staff/cards/"+url.PathEscape(found.ID), http.StatusSeeOther)
			return nil, nil
		}
		switch {
		case errors.Is(err, card.ErrCheckDigit):
			p.setErrors(person.Errors{{Field: "number", Key: "error.card_number.check_digit"}})
		case errors.Is(err, card.ErrFormat):
			p.setErrors(person.Errors{{Field: "number", Key: "error.card_number.format"}})
		case errors.Is(err, errs.ErrNotFound):
			p.setErrors(person.Errors{{Field: "number", Key: "card.error.not_found"}})
		default:
			return nil, err
		}
	}
	tabs := s.tabsFor(c.Actor)
	if !slices.Contains(tabs, tab) {
		tab = "queue"
		if !slices.Contains(tabs, tab) {
			tab = tabs[0]
		}
	}
	v := &cardListView{Tab: tab, Queue: tab == "queue", Overdue: s.svc.Settings.Card.PickupOverdueDays}
	for _, t := range tabs {
		v.Tabs = append(v.Tabs, navLink{Href: "/staff/cards?tab=" + t, Label: c.P.T("desk.tab."+t, "n", v.Overdue)})
	}
	names := s.siteNames(ctx)
	var rows []card.Card
	var err error
	switch tab {
	case "issue":
		var list []enroll.Summary
		list, err = s.svc.Applications.List(ctx, c.Actor, enroll.ListFilter{Statuses: []enroll.Status{enroll.StatusApproved}, Limit: card.MaxBatch})
		for _, a := range list {
			v.Apps = append(v.Apps, issueRow{ID: a.ID, Reference: a.Reference, Site: names[a.SiteID],
				Approved: s.formatTime(c.P, a.DecidedAt), Mine: a.DecidedBy == c.Actor.StaffID})
		}
	case "queue":
		rows, err = s.svc.Cards.Queue(ctx, maxCardList)
	case "pickup", "overdue":
		// "At my site": a clerk's site always; a supervisor's own site
		// by default, or the site picked (all sites when none).
		site := c.Actor.SiteID
		if c.Actor.Can(roleReview...) {
			if sel, ok := q["site"]; ok {
				site = sel[0]
			}
			p.Form.Set("site", site)
			v.Sites = append(v.Sites, option{Value: "", Label: c.P.T("desk.site.all")})
			for id, name := range names {
				v.Sites = append(v.Sites, option{Value: id, Label: name})
			}
			slices.SortFunc(v.Sites[1:], func(a, b option) int { return strings.Compare(a.Label, b.Label) })
		}
		var before time.Time
		if tab == "overdue" {
			before = s.svc.Cards.PickupOverdueSince()
		}
		rows, err = s.svc.Cards.AwaitingPickup(ctx, c.Actor, site, before, maxCardList)
	case "status":
		st := card.Status(q.Get("status"))
		p.Form.Set("status", string(st))
		f := card.Filter{Limit: maxCardList}
		if slices.Contains(allStatuses, st) {
			f.Statuses = []card.Status{st}
		}
		rows, err = s.svc.Cards.List(ctx, f)
		v.Statuses = append(v.Statuses, option{Value: "", Label: c.P.T("cards_web.status.any")})
		for _, st := range allStatuses {
			v.Statuses = append(v.Statuses, option{Value: string(st), Label: c.P.T("card.status." + string(st))})
		}
	}
	if err != nil {
		return nil, err
	}
	now := s.svc.Now()
	for _, cd := range rows {
		row := cardRow{Card: cd, StatusText: c.P.T("card.status." + string(cd.Status)), Printed: !cd.PrintedAt.IsZero()}
		if tab == "pickup" || tab == "overdue" {
			if site, err := s.svc.Applications.SiteOf(ctx, cd.ApplicationID); err == nil {
				row.Site = names[site]
			}
			row.Waiting = int(now.Sub(cd.PrintedAt).Hours() / 24)
		}
		v.Rows = append(v.Rows, row)
	}
	if v.ShowCounts = c.Actor.Can(roleReview...); v.ShowCounts {
		today := s.localDay(now)
		v.Counts = s.verificationCounts(r, c, today, today)
	}
	p.Data = v
	return v, nil
}

// cardIssueBatch issues the cards of the approved applications selected on
// the "to issue" list. Refusals (four eyes, already issued) are listed by
// reference; the rest go on to the print queue.
func (s *Server) cardIssueBatch(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ids := r.PostForm["app"]
	p := s.newPage(r, c, "cards_web.list.title")
	if len(ids) == 0 {
		p.setErrors(person.Errors{{Field: "batch", Key: "desk.error.select"}})
		p.Errs[0].ID = "issue-list"
		if _, err := s.deskData(w, r, c, p, "issue"); err != nil {
			return err
		}
		return s.views.render(w, http.StatusUnprocessableEntity, "cards", "layout", p)
	}
	if len(ids) > card.MaxBatch {
		return httplayer.Fail(http.StatusBadRequest, "desk.error.too_many", errors.New("batch too large"))
	}
	results, err := s.svc.Cards.IssueBatch(r.Context(), c.Actor, ids)
	if err != nil {
		return err
	}
	var out []batchRow
	issued := 0
	for _, res := range results {
		ref := res.ApplicationID
		if known, err := s.svc.Applications.ReferenceOf(r.Context(), res.ApplicationID); err == nil {
			ref = known
		}
		b := batchRow{Reference: ref}
		switch {
		case res.Err == nil:
			issued++
			b.CardID, b.Number = res.Card.ID, res.Card.Number.String()
		case errors.Is(res.Err, enroll.ErrFourEyes):
			b.Problem = c.P.T("desk.batch.four_eyes")
		case errors.Is(res.Err, card.ErrState):
			b.Problem = c.P.T("desk.batch.state")
		default:
			b.Problem = c.P.T("desk.batch.refused")
		}
		out = append(out, b)
	}
	v, err := s.deskData(w, r, c, p, "issue")
	if err != nil {
		return err
	}
	v.Results = out
	p.Flash = c.P.T("desk.batch.done", "n", issued)
	if issued < len(results) {
		p.Notice = c.P.T("desk.batch.not_issued", "n", len(results)-issued)
	}
	return s.views.render(w, http.StatusOK, "cards", "layout", p)
}
