package api

import (
	"bytes"
	"errors"
	"net/http"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/stats"
)

type statsJSON struct {
	From     string           `json:"from"`
	To       string           `json:"to"`
	Measures []stats.Measure  `json:"measures"`
	Tables   []statsTableJSON `json:"tables"`
}

type statsTableJSON struct {
	Dimension stats.Dimension `json:"dimension"`
	Rows      []statsRowJSON  `json:"rows"`
}

// statsRowJSON carries each count as published: a number, or the string
// "<10" or "x" where suppressed.
type statsRowJSON struct {
	Key    string `json:"key"`
	Counts []any  `json:"counts"`
}

// stats serves GET /api/v1/stats?from=YYYY-MM&to=YYYY-MM[&format=csv]:
// aggregate counts with small cells suppressed, for supervisors,
// administrators and auditors.
func (x *API) stats(w http.ResponseWriter, r *http.Request, c *call) error {
	if !c.Actor.Can(auth.RoleSupervisor, auth.RoleAdmin, auth.RoleAuditor) {
		return &httplayer.Error{Status: http.StatusForbidden, Code: "forbidden", Key: "api.error.forbidden"}
	}
	loc := x.svc.Location
	q := r.URL.Query()
	from, to, err := stats.Span(x.svc.Now(), loc, q.Get("from"), q.Get("to"))
	if err != nil {
		return &httplayer.Error{Status: http.StatusBadRequest, Code: "bad_month", Key: "stats.error.month", Cause: err}
	}
	rep, err := x.svc.Stats.Compute(r.Context(), loc, from, to)
	if errors.Is(err, stats.ErrSpan) {
		return &httplayer.Error{Status: http.StatusBadRequest, Code: "span_too_long", Key: "stats.error.span", Cause: err}
	}
	if err != nil {
		return err
	}
	if q.Get("format") == "csv" {
		var buf bytes.Buffer
		if err := stats.WriteCSV(&buf, rep, nil); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		_, err := buf.WriteTo(w)
		return err
	}
	out := statsJSON{From: rep.From, To: rep.To, Measures: stats.Measures}
	for _, t := range rep.Tables {
		tj := statsTableJSON{Dimension: t.Dimension}
		for _, row := range append(t.Rows, t.Total) {
			rj := statsRowJSON{Key: row.Key}
			for _, cell := range row.Cells {
				if cell.Suppressed {
					rj.Counts = append(rj.Counts, cell.Text)
				} else {
					rj.Counts = append(rj.Counts, cell.Value)
				}
			}
			tj.Rows = append(tj.Rows, rj)
		}
		out.Tables = append(out.Tables, tj)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
