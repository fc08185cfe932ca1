package dedup

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/linkage"
	"github.com/cityid/cityid/internal/store"
)

// ModelVersion is a stored duplicate model as its administrators see it.
type ModelVersion struct {
	Version   int64
	CreatedAt time.Time
	CreatedBy string
	// Source is "estimate" (from reviewers' decisions), "calibrate" (the
	// active model, calibrated to them) or "import" (a file).
	Source          string
	Active, Refused bool
	// Loads is false for a stored model that no longer loads (it cannot be
	// activated). Calibrated says reviewers are shown figures calibrated
	// to their decisions (linkage.Model.Calibration), not the model's own.
	Loads, Calibrated bool
	Report            ModelReport
}

// ListModels returns the stored versions, newest first.
func ListModels(ctx context.Context, db *store.DB) ([]ModelVersion, error) {
	ms, err := db.LinkageModels(ctx)
	if err != nil {
		return nil, fmt.Errorf("list duplicate models: %w", err)
	}
	out := make([]ModelVersion, len(ms))
	for i, m := range ms {
		v := ModelVersion{Version: m.Version, CreatedAt: m.CreatedAt, CreatedBy: m.CreatedBy, Source: m.Source, Active: m.Active, Refused: m.Refused}
		_ = json.Unmarshal(m.Report, &v.Report) // an import's report is empty
		if mm, err := linkage.ParseModel(m.Model); err == nil {
			v.Loads, v.Calibrated = true, len(mm.Calibration) > 0
		}
		out[i] = v
	}
	return out, nil
}

// Models lists the stored versions for an administrator.
func (s *Screener) Models(ctx context.Context, by auth.Actor) ([]ModelVersion, error) {
	if err := mayManage(by); err != nil {
		return nil, err
	}
	return ListModels(ctx, s.db)
}

// mayManage lets administrators (and the system's own jobs) change which
// model finds duplicates: it decides which applications reviewers see.
func mayManage(by auth.Actor) error {
	if !by.Can(auth.RoleAdmin) {
		return fmt.Errorf("manage the duplicate model: %w", errs.ErrForbidden)
	}
	return nil
}
