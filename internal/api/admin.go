package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/cityid/cityid/internal/auditlog"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/site"
)

type meJSON struct {
	StaffID  string `json:"staff_id"`
	Username string `json:"username"`
	Role     string `json:"role"`
	SiteID   string `json:"site_id,omitempty"`
}

func (x *API) me(w http.ResponseWriter, r *http.Request, c *call) error {
	writeJSON(w, http.StatusOK, meJSON{StaffID: c.Actor.StaffID, Username: c.Actor.Username, Role: string(c.Actor.Role), SiteID: c.Actor.SiteID})
	return nil
}

type siteJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	Address   string    `json:"address,omitempty"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
}

func siteOut(s site.Site) siteJSON {
	return siteJSON{ID: s.ID, Name: s.Name, Kind: s.Kind, Address: s.Address, Active: s.Active, CreatedAt: s.CreatedAt}
}

func (x *API) listSites(w http.ResponseWriter, r *http.Request, c *call) error {
	sites, err := x.svc.Sites.List(r.Context())
	if err != nil {
		return err
	}
	out := make([]siteJSON, len(sites))
	for i, s := range sites {
		out[i] = siteOut(s)
	}
	writeJSON(w, http.StatusOK, map[string]any{"sites": out})
	return nil
}

type siteRequest struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Address string `json:"address"`
}

func (x *API) createSite(w http.ResponseWriter, r *http.Request, c *call) error {
	var req siteRequest
	if err := decode(w, r, 8<<10, &req); err != nil {
		return err
	}
	s, err := x.svc.Sites.Create(r.Context(), c.Actor, site.Site{Name: req.Name, Kind: req.Kind, Address: req.Address})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, siteOut(s))
	return nil
}

type staffJSON struct {
	ID           string    `json:"id"`
	Username     string    `json:"username"`
	DisplayName  string    `json:"display_name"`
	Role         string    `json:"role"`
	SiteID       string    `json:"site_id,omitempty"`
	Disabled     bool      `json:"disabled"`
	Locked       bool      `json:"locked"`
	TOTPEnrolled bool      `json:"totp_enrolled"`
	CreatedAt    time.Time `json:"created_at"`
	// OneTimePassword is set only in the response that created or reset the account.
	OneTimePassword string `json:"one_time_password,omitempty"`
}

func staffOut(s auth.Staff) staffJSON {
	return staffJSON{ID: s.ID, Username: s.Username, DisplayName: s.DisplayName, Role: string(s.Role), SiteID: s.SiteID,
		Disabled: s.Disabled, Locked: s.Locked, TOTPEnrolled: s.TOTPEnrolled, CreatedAt: s.CreatedAt}
}

func (x *API) listStaff(w http.ResponseWriter, r *http.Request, c *call) error {
	list, err := x.svc.Auth.ListStaff(r.Context(), c.Actor)
	if err != nil {
		return err
	}
	out := make([]staffJSON, len(list))
	for i, s := range list {
		out[i] = staffOut(s)
	}
	writeJSON(w, http.StatusOK, map[string]any{"staff": out})
	return nil
}

type staffRequest struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	SiteID      string `json:"site_id"`
}

func (x *API) createStaff(w http.ResponseWriter, r *http.Request, c *call) error {
	var req staffRequest
	if err := decode(w, r, 8<<10, &req); err != nil {
		return err
	}
	s, pw, err := x.svc.Auth.CreateStaffOneTime(r.Context(), c.Actor, auth.NewStaff{
		Username: req.Username, DisplayName: req.DisplayName, Role: auth.Role(req.Role), SiteID: req.SiteID,
	})
	if p, ok := auth.Pending(err); ok {
		writePending(w, p)
		return nil
	}
	if err != nil {
		return err
	}
	out := staffOut(s)
	out.OneTimePassword = pw
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (x *API) disableStaff(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	if err := x.svc.Auth.DisableStaff(r.Context(), c.Actor, id); err != nil {
		return err
	}
	s, err := x.svc.Auth.StaffByID(r.Context(), c.Actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, staffOut(s))
	return nil
}

func (x *API) resetStaff(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	pw, err := x.svc.Auth.ResetStaff(r.Context(), c.Actor, id)
	if p, ok := auth.Pending(err); ok {
		writePending(w, p)
		return nil
	}
	if err != nil {
		return err
	}
	s, err := x.svc.Auth.StaffByID(r.Context(), c.Actor, id)
	if err != nil {
		return err
	}
	out := staffOut(s)
	out.OneTimePassword = pw
	writeJSON(w, http.StatusOK, out)
	return nil
}

type auditJSON struct {
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Action     string    `json:"action"`
	RecordType string    `json:"record_type"`
	RecordID   string    `json:"record_id"`
	Purpose    string    `json:"purpose,omitempty"`
	Outcome    string    `json:"outcome"`
	Hash       []byte    `json:"hash"`
}

// audit lists audit events, newest first, for auditors (and
// administrators). Events hold ids, never personal data.
func (x *API) audit(w http.ResponseWriter, r *http.Request, c *call) error {
	if !c.Actor.Can(auth.RoleAuditor, auth.RoleAdmin) {
		return &httplayer.Error{Status: http.StatusForbidden, Code: "forbidden", Key: "api.error.forbidden"}
	}
	q := r.URL.Query()
	f := auditlog.Filter{Actor: q.Get("actor"), Action: q.Get("action"), RecordType: q.Get("record_type"), RecordID: q.Get("record_id"), Limit: 100}
	if b, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && b > 0 {
		f.BeforeSeq = b
	}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		f.Limit = min(n, 1000)
	}
	events, err := x.svc.Audit.Events(r.Context(), c.Actor, f)
	if err != nil {
		return err
	}
	out := make([]auditJSON, len(events))
	for i, e := range events {
		out[i] = auditJSON{Seq: e.Seq, At: e.At, Actor: e.Actor, Action: e.Action, RecordType: e.RecordType, RecordID: e.RecordID,
			Purpose: e.Purpose, Outcome: e.Outcome, Hash: e.Hash}
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": out})
	return nil
}
