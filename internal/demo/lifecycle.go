package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/booking"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/synth"
)

// Lifecycle is what happened to the demo city after review, so every class
// of record a real city holds exists: cards issued, printed, handed over or
// left uncollected; residents who pre-applied at home and booked a visit,
// waited on a list or entered a lottery; walk-in tickets.
type Lifecycle struct {
	Issued, Printed, HandedOver         int
	Preapplications, Booked, Waitlisted int
	LotteryEntries, Tickets             int
	// PrintFailed counts cards that could not be rendered (left issued).
	PrintFailed int
}

// Live carries o.Residents' approved applications on through the card desk
// and gives the city a resident site's worth of pre-applications (one per
// 20 residents, at least one), bookings, waitlist and lottery entries and
// walk-in tickets. It goes through the same services as the portal and the
// resident site. Seeded like Load.
func Live(ctx context.Context, a *app.App, o Options) (Lifecycle, error) {
	var lc Lifecycle
	if a.Cards == nil {
		return lc, errors.New("demo: no card service (signing keys missing)")
	}
	r := rand.New(rand.NewPCG(uint64(o.Seed), 0x11fe))
	sites, err := ensureSites(ctx, a)
	if err != nil {
		return lc, err
	}
	created := map[string]string{}
	_, supervisor, err := ensureStaff(ctx, a, sites, created)
	if err != nil {
		return lc, err
	}
	// Four eyes: demo-supervisor approved these applications, so a second
	// supervisor at the card desk issues their cards.
	desk, err := cardDesk(ctx, a, sites[0].ID, created)
	if err != nil {
		return lc, err
	}
	var approved []enroll.Summary
	for off := 0; ; off += 500 {
		page, err := a.Enroll.List(ctx, supervisor, enroll.ListFilter{Statuses: []enroll.Status{enroll.StatusApproved}, Limit: 500, Offset: off})
		if err != nil {
			return lc, err
		}
		approved = append(approved, page...)
		if len(page) < 500 {
			break
		}
	}
	// Cards: 9 in 10 approved get one; 19 in 20 of those are printed; 9 in
	// 10 printed are handed over (the rest wait at the desk, uncollected).
	var toPrint []card.Card
	for _, ap := range approved {
		if r.IntN(10) == 9 {
			continue
		}
		c, err := a.Cards.Issue(ctx, desk, ap.ID)
		if err != nil {
			return lc, fmt.Errorf("demo: issue: %w", err)
		}
		lc.Issued++
		if r.IntN(20) != 19 {
			toPrint = append(toPrint, c)
		}
	}
	for start := 0; start < len(toPrint); start += 8 {
		batch := toPrint[start:min(start+8, len(toPrint))]
		ids := make([]string, len(batch))
		for i, c := range batch {
			ids[i] = c.ID
		}
		if _, err := a.Cards.Print(ctx, supervisor, ids, card.Sheet(0)); err != nil {
			// One card that does not render (an address too long for the
			// card) stops the sheet: print the others one by one and leave
			// that one issued but unprinted, as a clerk would.
			var ok []card.Card
			for _, c := range batch {
				if _, err := a.Cards.Print(ctx, supervisor, []string{c.ID}, card.Sheet(0)); err != nil {
					lc.PrintFailed++
					continue
				}
				ok = append(ok, c)
			}
			batch = ok
		}
		lc.Printed += len(batch)
		for _, c := range batch {
			if r.IntN(10) == 9 {
				continue
			}
			if _, err := a.Cards.HandOver(ctx, supervisor, c.ID); err != nil {
				return lc, fmt.Errorf("demo: hand over: %w", err)
			}
			lc.HandedOver++
		}
	}

	// The resident site: pre-applications, a visit booked, a place on the
	// waitlist, a lottery entry; and walk-in tickets at the desk.
	pre := a.Enroll.Preapps()
	bk := booking.New(a.DB, a.Location, a.Now, a.Rand)
	site := sites[0]
	rules := booking.DefaultRules()
	if err := bk.SetRules(ctx, site.ID, rules); err != nil {
		return lc, err
	}
	today := a.Today()
	if _, err := bk.Publish(ctx, site.ID, today, person.DateOf(today.Time().AddDate(0, 0, rules.Release.DaysAhead))); err != nil {
		return lc, err
	}
	open, err := bk.Open(ctx, site.ID, 50)
	if err != nil {
		return lc, err
	}
	gen := synth.New(o.Seed + 7919)
	n := max(1, o.Residents/20)
	for i := range n {
		p := gen.Person()
		pa, _, err := pre.Create(ctx, p, nil, "", fmt.Sprintf("demo-pre-%d-%d", o.Seed, i))
		if err != nil {
			return lc, fmt.Errorf("demo: pre-application: %w", err)
		}
		lc.Preapplications++
		key := pre.BookingKey(p)
		switch i % 3 {
		case 0:
			if len(open) == 0 {
				continue
			}
			_, err := bk.Book(ctx, booking.Request{SlotID: open[i%len(open)].ID, PreappID: pa.ID, PersonKey: key})
			if errors.Is(err, booking.ErrFull) {
				continue
			}
			if err != nil {
				return lc, fmt.Errorf("demo: book: %w", err)
			}
			lc.Booked++
		case 1:
			if _, err := bk.Join(ctx, site.ID, pa.ID, key); err != nil {
				return lc, fmt.Errorf("demo: waitlist: %w", err)
			}
			lc.Waitlisted++
		case 2:
			window := a.Now().Add(24 * time.Hour).Truncate(24 * time.Hour)
			if err := bk.Enter(ctx, site.ID, window, pa.ID, key); err != nil {
				return lc, fmt.Errorf("demo: lottery: %w", err)
			}
			lc.LotteryEntries++
		}
	}
	for range max(1, n/2) {
		if _, err := bk.Take(ctx, site.ID); err != nil {
			return lc, fmt.Errorf("demo: ticket: %w", err)
		}
		lc.Tickets++
	}
	return lc, nil
}

// cardDesk returns the demo's second supervisor, who issues cards, creating
// it when missing.
func cardDesk(ctx context.Context, a *app.App, siteID string, created map[string]string) (auth.Actor, error) {
	const username = "demo-card-desk"
	st, err := a.Auth.StaffByUsername(ctx, auth.System(), username)
	if err != nil {
		var pw string
		st, pw, err = a.Auth.CreateStaffOneTime(ctx, auth.System(), auth.NewStaff{Username: username, DisplayName: username, Role: auth.RoleSupervisor, SiteID: siteID})
		if err != nil {
			return auth.Actor{}, fmt.Errorf("demo staff %s: %w", username, err)
		}
		created[username] = pw
	}
	return auth.Actor{StaffID: st.ID, Username: st.Username, Role: st.Role, SiteID: st.SiteID}, nil
}
