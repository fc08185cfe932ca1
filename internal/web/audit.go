package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/cityid/cityid/internal/auditlog"
)

const auditPageSize = 50

type auditRow struct {
	Seq   int64
	At    auditTime
	Actor string
	// Action is the code auditors filter by; ActionLabel says it in words
	// ("" for a code with no label, such as one an older version wrote).
	Action, ActionLabel           string
	RecordType, RecordID, Purpose string
	Outcome                       string
	Denied                        bool
}

// auditTime is an event's moment as the log shows it: the day and the time
// to the second in the program's time zone, compact and the same in every
// language, so the column stays two short lines on a phone (the spelled-out
// date took five at 390 px); Full is the spelled-out form for the title.
type auditTime struct {
	Day, Clock, ISO, Full string
}

func (s *Server) auditMoment(c *call, t time.Time) auditTime {
	local := t.In(s.svc.Location)
	return auditTime{Day: local.Format("2006-01-02"), Clock: local.Format("15:04:05 MST"),
		ISO: t.UTC().Format(time.RFC3339), Full: s.formatTime(c.P, t)}
}

// actionLabel is the action's name in the page's language, "" when the
// catalogs have none.
func actionLabel(c *call, action string) string {
	key := "audit.action." + action
	if l := c.P.T(key); l != key {
		return l
	}
	return ""
}

type auditView struct {
	Rows   []auditRow
	Older  string // link to the next page, "" at the end
	Newest string
	Chain  *chainStatus
}

type chainStatus struct {
	OK      bool
	Count   int64
	Message string
}

func itoa(n int) string { return strconv.Itoa(n) }

// auditLog shows audit events newest first with filters. Events hold ids,
// never personal data, so an auditor sees who did what to which record
// without seeing whose record it is.
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	f := auditlog.Filter{Actor: q.Get("actor"), Action: q.Get("action"), RecordType: q.Get("record_type"),
		RecordID: q.Get("record_id"), Limit: auditPageSize}
	if b, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && b > 0 {
		f.BeforeSeq = b
	}
	usernames := s.usernames(r.Context(), c)
	// The actor filter takes a staff id or a username.
	for id, u := range usernames {
		if f.Actor != "" && u == f.Actor {
			f.Actor = id
		}
	}
	events, err := s.svc.Audit.Events(r.Context(), c.Actor, f)
	if err != nil {
		return err
	}
	p := s.newPage(r, c, "web.audit.title")
	p.Form = url.Values{"actor": {q.Get("actor")}, "action": {f.Action}, "record_type": {f.RecordType}, "record_id": {f.RecordID}}
	v := auditView{}
	for _, e := range events {
		actor := e.Actor
		if u := usernames[e.Actor]; u != "" {
			actor = u + " (" + e.Actor + ")"
		}
		v.Rows = append(v.Rows, auditRow{Seq: e.Seq, At: s.auditMoment(c, e.At), Actor: actor, Action: e.Action, ActionLabel: actionLabel(c, e.Action),
			RecordType: e.RecordType, RecordID: e.RecordID, Purpose: e.Purpose, Outcome: e.Outcome, Denied: e.Outcome == auditlog.OutcomeDenied})
	}
	if len(events) == auditPageSize {
		nq := url.Values{}
		for k, vals := range p.Form {
			if vals[0] != "" {
				nq.Set(k, vals[0])
			}
		}
		nq.Set("before", strconv.FormatInt(events[len(events)-1].Seq, 10))
		v.Older = "/staff/audit?" + nq.Encode()
	}
	if f.BeforeSeq > 0 {
		v.Newest = "/staff/audit"
	}
	p.Data = v
	return s.views.render(w, http.StatusOK, "audit", "layout", p)
}

// usernames maps staff ids to usernames for display. Usernames identify
// staff, not residents.
func (s *Server) usernames(ctx context.Context, c *call) map[string]string {
	out := map[string]string{}
	names, err := s.svc.Auth.Usernames(ctx, c.Actor)
	if err != nil {
		s.log.Warn("list staff for audit page", "err", err)
		return out
	}
	return names
}

// auditVerify checks the whole chain and the signed checkpoints, and reports
// whether the log is intact or where it first breaks.
func (s *Server) auditVerify(w http.ResponseWriter, r *http.Request, c *call) error {
	rep, err := s.svc.Audit.Verify(r.Context(), c.Actor)
	if err != nil {
		return err
	}
	n, problem := rep.Events, rep.Problem
	p := s.newPage(r, c, "web.audit.verify.title")
	cs := &chainStatus{OK: problem == nil, Count: n}
	if problem == nil {
		cs.Message = p.T("web.audit.verify.ok", "n", n)
	} else {
		cs.Message = p.T("web.audit.verify.broken", "seq", problem.Seq, "reason", problem.Reason)
	}
	p.Data = auditView{Chain: cs}
	return s.views.render(w, http.StatusOK, "audit", "layout", p)
}
