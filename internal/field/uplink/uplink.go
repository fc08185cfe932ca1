// Package uplink is a field station's client of the city's server: it sends
// the enrolment request, fetches the supervisor's decision (and the city's
// packet key), and uploads sealed packets one by one, deleting each only
// once the city acknowledged it. An upload cut off halfway leaves the packet
// in the outbox; the next sync sends it again and the city, which imports
// idempotently by station and packet id, keeps one application.
package uplink

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/field/station"
	"github.com/cityid/cityid/internal/field/wire"
)

// Client talks to one city server.
type Client struct {
	base *url.URL
	http *http.Client
}

// New returns a client of the server at base (e.g. https://id.example.gov).
// hc nil is a client with a 60 s timeout per request.
func New(base string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: want http(s)://host", base)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	return &Client{base: u, http: hc}, nil
}

// stationEnrolment is the station's record of the server's answer, with
// the laptop's clock before and after the request (the station measures
// how far its clock is from the city's).
func stationEnrolment(e wire.Enrolment, asked, answered time.Time) station.Enrolment {
	out := station.Enrolment{StationID: e.StationID, Code: e.Code, Status: e.Status, SiteID: e.SiteID,
		ServerTime: e.ServerTime, Asked: asked, Answered: answered}
	if e.PacketKey != nil {
		out.CityKey = e.PacketKey.PublicKey
	}
	return out
}

// Enrol sends the station's name and public key; the answer is pending
// (or the station's current status, if this key enrolled before).
func (c *Client) Enrol(ctx context.Context, name string, pub ed25519.PublicKey) (station.Enrolment, error) {
	body, err := json.Marshal(wire.EnrolRequest{Name: name, PublicKey: pub})
	if err != nil {
		return station.Enrolment{}, err
	}
	var e wire.Enrolment
	asked := time.Now()
	if err := c.do(ctx, http.MethodPost, wire.EnrolPath, "application/json", body, &e, http.StatusOK, http.StatusAccepted); err != nil {
		return station.Enrolment{}, fmt.Errorf("enrol: %w", err)
	}
	return stationEnrolment(e, asked, time.Now()), nil
}

// Fetch asks the server for the station's enrolment: the supervisor's
// decision and, once approved, the city's packet key.
func (c *Client) Fetch(ctx context.Context, stationID string) (station.Enrolment, error) {
	var e wire.Enrolment
	asked := time.Now()
	if err := c.do(ctx, http.MethodGet, wire.StationPath+url.PathEscape(stationID), "", nil, &e, http.StatusOK); err != nil {
		return station.Enrolment{}, fmt.Errorf("enrolment: %w", err)
	}
	return stationEnrolment(e, asked, time.Now()), nil
}

// ErrKeyMismatch is an enrolment answer for another key than the
// station's: the enrolment is not recorded.
var ErrKeyMismatch = errors.New("the city's server holds another key for this station")

// Ack is the city's answer to one uploaded packet that it now holds.
type Ack struct {
	Result string // imported, already_imported, quarantined
	Reason string // why it was quarantined
}

// ErrNotHeld is an upload the city did not take (too large, rate limited, a
// server error): keep the packet and try later.
var ErrNotHeld = errors.New("the city's server did not take the request")

// Upload sends one sealed packet. A nil error means the city holds it
// (imported or quarantined) and the station may delete it.
func (c *Client) Upload(ctx context.Context, sealed []byte) (Ack, error) {
	var u wire.Upload
	err := c.do(ctx, http.MethodPost, wire.PacketsPath, "application/octet-stream", sealed, &u, http.StatusOK, http.StatusUnprocessableEntity)
	if err != nil {
		return Ack{}, err
	}
	if u.Result == "" {
		return Ack{}, fmt.Errorf("upload: answer without a result: %w", ErrNotHeld)
	}
	return Ack{Result: u.Result, Reason: u.Reason}, nil
}

// do sends one request and decodes a JSON answer whose status is one of ok.
func (c *Client) do(ctx context.Context, method, path, ctype string, body []byte, out any, ok ...int) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, rd)
	if err != nil {
		return err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotHeld, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%w: reading the answer: %w", ErrNotHeld, err)
	}
	good := false
	for _, s := range ok {
		good = good || resp.StatusCode == s
	}
	if !good {
		return fmt.Errorf("%w: %s %s: %s", ErrNotHeld, method, path, resp.Status)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%w: %s %s: answer is not JSON: %w", ErrNotHeld, method, path, err)
	}
	return nil
}

// Report is what one sync did.
type Report struct {
	Enrolment string // the station's status after the sync
	Uploaded  int    // packets the city now holds
	Refused   int    // of those, kept in the city's quarantine
	Waiting   int    // still in the outbox
}

// Sync brings the station up to date: enrols it if it never was, fetches
// the supervisor's decision, then uploads the waiting packets oldest first,
// one by one, deleting each the city acknowledged. It stops at the first
// packet the city did not take (network down, server error) and returns
// the error; what was acknowledged before stays acknowledged.
func Sync(ctx context.Context, st *station.Station, c *Client) (Report, error) {
	var rep Report
	s := st.State()
	var e station.Enrolment
	var err error
	asked := st.LaptopClock()
	if s.StationID == "" {
		e, err = c.Enrol(ctx, s.Name, st.PublicKey())
	} else {
		e, err = c.Fetch(ctx, s.StationID)
	}
	if err != nil {
		return rep, err
	}
	e.Asked, e.Answered = asked, st.LaptopClock()
	// The code the supervisor compares is the station's own key's; a
	// server that answers with another one holds another key.
	if want := wire.Code(st.PublicKey()); e.Code != want {
		return rep, fmt.Errorf("%w: the server's code %q is not this station's %q", ErrKeyMismatch, e.Code, want)
	}
	if err := st.SetEnrolment(e); err != nil {
		return rep, err
	}
	rep.Enrolment = e.Status
	waiting, err := st.Outbox()
	if err != nil {
		return rep, err
	}
	rep.Waiting = len(waiting)
	// Packets sealed before a revocation are still sent: the city decides
	// what to do with them (docs/field.md).
	for _, w := range waiting {
		b, err := os.ReadFile(w.Path)
		if err != nil {
			return rep, fmt.Errorf("read packet %d: %w", w.Seq, err)
		}
		ack, err := c.Upload(ctx, b)
		if err != nil {
			return rep, fmt.Errorf("upload packet %d: %w", w.Seq, err)
		}
		reason := ""
		if ack.Result == wire.ResultQuarantined {
			reason = cmp.Or(ack.Reason, "unknown")
			rep.Refused++
		}
		if err := st.Ack(w, reason); err != nil {
			return rep, err
		}
		rep.Uploaded++
		rep.Waiting--
	}
	return rep, st.Synced()
}
