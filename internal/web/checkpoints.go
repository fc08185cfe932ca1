package web

import (
	"bytes"
	"errors"
	"net/http"

	"github.com/cityid/cityid/internal/auditlog"
	"github.com/cityid/cityid/internal/httplayer"
)

// auditCheckpoints lets the auditor download the log's verifier key and
// every signed checkpoint (the same file as `cityid audit
// export-checkpoints`), to hand to a third party who keeps it.
func (s *Server) auditCheckpoints(w http.ResponseWriter, r *http.Request, c *call) error {
	var buf bytes.Buffer
	_, err := s.svc.Audit.ExportCheckpoints(r.Context(), c.Actor, &buf)
	if errors.Is(err, auditlog.ErrNoKey) {
		return httplayer.Fail(http.StatusNotFound, "checkpoint.none", err)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="cityid-audit-checkpoints.txt"`)
	_, err = buf.WriteTo(w)
	return err
}
