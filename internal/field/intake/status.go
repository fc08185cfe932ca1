package intake

import (
	"context"
	"fmt"
	"time"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/field/wire"
)

// View is one station on the stations page: its enrolment and its packet
// counts. Counts only: no resident is named.
type View struct {
	Station
	Code string // wire.Code of its key, for the supervisor to compare
	Counts
	// Stale: approved, and no packet for Options.StaleDays (counted from
	// approval when it never synced).
	Stale bool
}

func canView(by auth.Actor) bool {
	return by.Can(auth.RoleSupervisor, auth.RoleAdmin, auth.RoleAuditor)
}

// Stations lists every station with its counts, pending requests first.
func (s *Service) Stations(ctx context.Context, by auth.Actor) ([]View, error) {
	if !canView(by) {
		return nil, fmt.Errorf("field stations: %w", errs.ErrForbidden)
	}
	sts, err := s.db.Stations(ctx)
	if err != nil {
		return nil, err
	}
	counts, err := s.db.PacketCounts(ctx)
	if err != nil {
		return nil, err
	}
	byStation := make(map[string]Counts, len(counts))
	for _, c := range counts {
		byStation[c.StationID] = c
	}
	now := s.now()
	var pending, rest []View
	for _, st := range sts {
		v := View{Station: st, Code: wire.Code(st.PublicKey), Counts: byStation[st.ID]}
		if st.Status == wire.StatusApproved {
			last := v.LastSync
			if last.IsZero() {
				last = st.DecidedAt
			}
			v.Stale = now.Sub(last) > s.opt.staleAfter()
		}
		if st.Status == wire.StatusPending {
			pending = append(pending, v)
		} else {
			rest = append(rest, v)
		}
	}
	return append(pending, rest...), nil
}

// StaleAfter is how long a station may go without syncing before the
// stations page flags it.
func (s *Service) StaleAfter() time.Duration { return s.opt.staleAfter() }

// quarantineShown is how many quarantined packets the page lists.
const quarantineShown = 200

// Quarantine lists the newest quarantined packets: station, when, why,
// size. The bytes stay encrypted and are not returned.
func (s *Service) Quarantine(ctx context.Context, by auth.Actor) ([]Packet, error) {
	if !canView(by) {
		return nil, fmt.Errorf("field quarantine: %w", errs.ErrForbidden)
	}
	return s.db.Quarantined(ctx, quarantineShown)
}
