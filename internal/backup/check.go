package backup

import (
	"context"
	"fmt"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/checkpoint"
)

// CheckReport is what Check found in a restored system.
type CheckReport struct {
	AuditEvents int64 // events whose chain (and signed checkpoints) verified
	Checkpoints int
	Cards       card.Check
	Problems    []string // empty when all is well
}

// OK reports whether the restored system passed every check.
func (r CheckReport) OK() bool { return len(r.Problems) == 0 }

// Check runs the checks a restore ends with, on the restored system opened
// as a: the audit chain against its signed checkpoints, every card against
// the status lists and published keys, and the row counts against the
// backup's manifest. It appends a "backup.restored" audit event when all
// is well.
func Check(ctx context.Context, a *app.App, m Manifest, progress func(int64)) (CheckReport, error) {
	var r CheckReport
	vr, err := checkpoint.VerifyLog(ctx, a.DB, nil, progress)
	if err != nil {
		return r, err
	}
	r.AuditEvents, r.Checkpoints = vr.Events, vr.Checkpoints
	if vr.Problem != nil {
		r.Problems = append(r.Problems, "audit log: "+vr.Problem.String())
	}
	if a.Cards != nil {
		if r.Cards, err = a.Cards.CheckAll(ctx); err != nil {
			return r, err
		}
		r.Problems = append(r.Problems, r.Cards.Problems...)
	} else if m.Rows["cards"] > 0 {
		r.Problems = append(r.Problems, "the signing keyring is missing: cards cannot be checked or printed")
	}
	for t, want := range m.Rows {
		got, err := a.DB.CountRows(ctx, t)
		if err != nil {
			return r, err
		}
		if got < want {
			r.Problems = append(r.Problems, fmt.Sprintf("table %s has %d rows, the backup %d", t, got, want))
		}
	}
	if r.OK() {
		if err := appendAudit(ctx, a.DB, a.Now(), "backup.restored", "backup_key", m.Period, ""); err != nil {
			return r, err
		}
	}
	return r, nil
}
