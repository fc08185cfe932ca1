package api

import (
	"net/http"
	"time"

	"github.com/cityid/cityid/internal/auth"
)

// staffRequestJSON is a change to staff accounts awaiting a second
// administrator (see auth.StaffRequest): creating, promoting or resetting
// an account whose role reads personal data answers 202 with one.
type staffRequestJSON struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	StaffID     string    `json:"staff_id,omitempty"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Role        string    `json:"role"`
	SiteID      string    `json:"site_id,omitempty"`
	RequestedBy string    `json:"requested_by"`
	RequestedAt time.Time `json:"requested_at"`
}

func staffRequestOut(r auth.StaffRequest) staffRequestJSON {
	return staffRequestJSON{ID: r.ID, Kind: string(r.Kind), StaffID: r.StaffID, Username: r.Username, DisplayName: r.DisplayName,
		Role: string(r.Role), SiteID: r.SiteID, RequestedBy: r.RequestedBy, RequestedAt: r.RequestedAt}
}

// writePending answers a change stored as a request: 202 Accepted.
func writePending(w http.ResponseWriter, r auth.StaffRequest) {
	writeJSON(w, http.StatusAccepted, map[string]any{"status": "awaiting_approval", "request": staffRequestOut(r)})
}

func (x *API) listStaffRequests(w http.ResponseWriter, r *http.Request, c *call) error {
	list, err := x.svc.Auth.StaffRequests(r.Context(), c.Actor)
	if err != nil {
		return err
	}
	out := make([]staffRequestJSON, len(list))
	for i, req := range list {
		out[i] = staffRequestOut(req)
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": out})
	return nil
}

// approveStaffRequest carries out a request of another administrator; for
// a new account or a reset, the response holds the one-time password.
func (x *API) approveStaffRequest(w http.ResponseWriter, r *http.Request, c *call) error {
	s, pw, err := x.svc.Auth.ApproveStaffRequest(r.Context(), c.Actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	out := staffOut(s)
	out.OneTimePassword = pw
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (x *API) refuseStaffRequest(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := x.svc.Auth.RefuseStaffRequest(r.Context(), c.Actor, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
