package api

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/cityid/cityid/internal/field/intake"
	"github.com/cityid/cityid/internal/field/wire"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/i18n"
	"github.com/cityid/cityid/internal/throttle"
)

// The field station endpoints take no bearer token: a station is no staff
// member. Enrolment is a request a supervisor must approve; an upload is
// trusted only through the station's signature in the packet and its
// enrolment status (package field/intake). Both are limited per client
// address so a stranger cannot fill the pending list or the quarantine.

// fieldLimits are the per-address budgets of the field endpoints.
type fieldLimits struct {
	enrol, upload *throttle.Limiter
}

func newFieldLimits(now func() time.Time) fieldLimits {
	return fieldLimits{
		// A partner enrols a laptop or two; 10 an hour is plenty.
		enrol: throttle.NewPer(10, time.Hour, 5, 10000, now),
		// A station back online uploads its backlog one packet per request:
		// 600 a minute lets a day's 300 applications through in seconds.
		upload: throttle.New(600, 120, 10000, now),
	}
}

// public runs fn without a token: errors become JSON in the reader's language.
func (x *API) public(limit *throttle.Limiter, fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		c := &call{P: x.svc.I18n.Printer(x.svc.I18n.Match(r.Header.Get("Accept-Language")))}
		if limit != nil {
			if ok, wait := limit.Allow(httplayer.ClientKey(r)); !ok {
				w.Header().Set("Retry-After", strconv.Itoa(throttle.RetryAfter(wait)))
				x.writeError(w, r, c, &httplayer.Error{Status: http.StatusTooManyRequests, Code: httplayer.CodeRateLimited, Key: "api.error.rate_limited"})
				return
			}
		}
		if x.svc.Field == nil {
			x.writeError(w, r, c, &httplayer.Error{Status: http.StatusNotFound, Code: httplayer.CodeNotFound, Key: "api.error.not_found"})
			return
		}
		if err := fn(w, r, c); err != nil {
			x.writeError(w, r, c, err)
		}
	})
}

// fieldEnrol: POST /api/v1/field/stations.
func (x *API) fieldEnrol(w http.ResponseWriter, r *http.Request, c *call) error {
	var req wire.EnrolRequest
	if err := decode(w, r, 4<<10, &req); err != nil {
		return err
	}
	st, created, err := x.svc.Field.Enrol(r.Context(), req.Name, req.PublicKey)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusAccepted
	}
	writeJSON(w, status, wire.Enrolment{StationID: st.ID, Name: st.Name, Status: st.Status, Code: wire.Code(st.PublicKey), ServerTime: x.svc.Now().UTC()})
	return nil
}

// fieldStation: GET /api/v1/field/stations/{id}.
func (x *API) fieldStation(w http.ResponseWriter, r *http.Request, c *call) error {
	e, err := x.svc.Field.Enrolment(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

// quarantined is the answer to a refused packet: the upload result and
// the API's error object, with the reason in the reader's language.
type quarantined struct {
	wire.Upload
	Error httplayer.ErrorJSON `json:"error"`
}

// fieldUpload: POST /api/v1/field/packets, one sealed packet as the body.
func (x *API) fieldUpload(w http.ResponseWriter, r *http.Request, c *call) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != "application/octet-stream" {
		return &httplayer.Error{Status: http.StatusUnsupportedMediaType, Code: httplayer.CodeUnsupported, Key: "api.error.json"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, wire.MaxPacketBytes))
	if err != nil {
		return httplayer.TooLargeOr(err)
	}
	up, err := x.svc.Field.Receive(r.Context(), body)
	if errors.Is(err, intake.ErrPacketTooLarge) {
		return &httplayer.Error{Status: http.StatusRequestEntityTooLarge, Code: httplayer.CodeTooLarge, Cause: err}
	}
	if err != nil {
		return err
	}
	if up.Result == wire.ResultQuarantined {
		writeJSON(w, http.StatusUnprocessableEntity, quarantined{Upload: up,
			Error: httplayer.ErrorJSON{Code: wire.ResultQuarantined, Message: reasonMessage(c.P, up.Reason)}})
		return nil
	}
	writeJSON(w, http.StatusOK, up)
	return nil
}

// reasonMessage says why a packet was quarantined, in the reader's language.
func reasonMessage(p i18n.Printer, reason string) string {
	return p.T("field.reason." + reason)
}
