package web

import (
	"net/http"
	"time"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/retention"
)

// rolePrivacy may see the privacy page: counts per data class, never people.
var rolePrivacy = []auth.Role{auth.RoleAdmin, auth.RoleAuditor}

type privacyRow struct {
	Class, Name, Holds string
	Buckets            [4]int
	Total              int
}

type privacyDue struct {
	Name         string
	Now, In30Day int
}

type privacyView struct {
	Rows                []privacyRow
	Due                 []privacyDue
	DueNow, DueSoon     int
	DraftDays           int
	RejectedDays        int
	PendingDays         int
	ApprovedDays        int
	UncollectedDays     int
	CardholderDays      int
	NoList              bool
	NoListGraceDays     int
	LastPurge           string
	LastErased, Reduced int
	NextPurge           string
}

// privacyPage shows what the system holds today per data class and age,
// what the next purges erase, and the retention settings in force.
func (s *Server) privacyPage(w http.ResponseWriter, r *http.Request, c *call) error {
	a := s.svc
	rep, err := a.Retention.Report(r.Context(), a.Now(), 24*time.Hour)
	if err != nil {
		return err
	}
	p := s.newPage(r, c, "privacy.title")
	v := privacyView{DueNow: rep.DueNow.Total(), DueSoon: rep.DueSoon.Total(),
		DraftDays: rep.Policy.DraftDays, RejectedDays: rep.Policy.RejectedDays, CardholderDays: rep.Policy.CardholderAfterExpiryDays,
		PendingDays: rep.Policy.PendingDays, ApprovedDays: rep.Policy.ApprovedDays, UncollectedDays: rep.Policy.UncollectedDays,
		NoList: rep.Policy.NoList, NoListGraceDays: rep.Policy.NoListGraceDays}
	for _, h := range rep.Holdings {
		v.Rows = append(v.Rows, privacyRow{Class: h.Class, Name: p.T("privacy.class." + h.Class),
			Holds: p.T("privacy.holds." + h.Class), Buckets: h.Buckets, Total: h.Total()})
	}
	for _, cl := range retention.Classes {
		v.Due = append(v.Due, privacyDue{Name: p.T("privacy.due." + string(cl)), Now: rep.DueNow.Due[cl], In30Day: rep.DueSoon.Due[cl]})
	}
	if rep.LastRun != nil {
		v.LastPurge, v.LastErased, v.Reduced = s.formatTime(c.P, rep.LastRun.StartedAt), rep.LastRun.Erased, rep.LastRun.Reduced
		v.NextPurge = s.formatTime(c.P, rep.NextPurge)
	}
	p.Data = v
	return s.views.render(w, http.StatusOK, "privacy", "layout", p)
}
