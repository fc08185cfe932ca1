package booking_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cityid/cityid/internal/booking"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
)

var ctx = context.Background()

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func setup(t *testing.T, db *store.DB, r booking.Rules) (*booking.Service, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)} // a Monday
	err := db.InTx(ctx, func(tx *store.Tx) error {
		return tx.CreateSite(ctx, store.Site{ID: "site_a", Name: "City Hall", Kind: "city_hall", Active: true, CreatedAt: c.t})
	})
	if err != nil {
		t.Fatal(err)
	}
	s := booking.New(db, time.UTC, c.now, rand.Reader)
	if err := s.SetRules(ctx, "site_a", r); err != nil {
		t.Fatal(err)
	}
	return s, c
}

func d(s string) person.Date {
	v, err := person.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return v
}

func TestRulesValidate(t *testing.T) {
	bad := booking.DefaultRules()
	bad.SlotMinutes = 1
	bad.Weekly["xyz"] = []booking.Hours{{Open: "10:00", Close: "09:00"}}
	err := bad.Validate()
	if !errors.Is(err, booking.ErrRules) {
		t.Fatalf("Validate(bad) = %v, want ErrRules", err)
	}
	if err := booking.DefaultRules().Validate(); err != nil {
		t.Errorf("Validate(default) = %v, want nil", err)
	}
}

func TestReleaseAt(t *testing.T) {
	tests := []struct {
		name string
		rel  booking.Release
		day  string
		want string
	}{
		{"daily", booking.Release{DaysAhead: 14, At: "08:00"}, "2026-03-20", "2026-03-06T08:00:00Z"},
		{"weekly on friday", booking.Release{DaysAhead: 7, Weekday: "fri", At: "15:00"}, "2026-03-18", "2026-03-06T15:00:00Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := booking.DefaultRules()
			r.Release = tc.rel
			if got := r.ReleaseAt(d(tc.day), time.UTC).Format(time.RFC3339); got != tc.want {
				t.Errorf("ReleaseAt(%s) = %s, want %s", tc.day, got, tc.want)
			}
		})
	}
}

func TestPublishBookRebookCancel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := booking.DefaultRules()
		r.Weekly = map[string][]booking.Hours{"tue": {{Open: "09:00", Close: "10:00"}}, "wed": {{Open: "09:00", Close: "10:00"}}}
		r.SlotMinutes, r.Capacity = 30, 1
		r.Release = booking.Release{DaysAhead: 7, At: "08:00"}
		s, c := setup(t, db, r)
		if err := s.AddHoliday(ctx, "", d("2026-03-04")); err != nil {
			t.Fatal(err)
		}
		n, err := s.Publish(ctx, "site_a", d("2026-03-02"), d("2026-03-08"))
		if err != nil || n != 2 {
			t.Fatalf("Publish = %d, %v; want 2 (Tuesday only: Wednesday is a holiday)", n, err)
		}
		if n, _ := s.Publish(ctx, "site_a", d("2026-03-02"), d("2026-03-08")); n != 0 {
			t.Errorf("second Publish = %d, want 0", n)
		}
		open, err := s.Open(ctx, "site_a", 0)
		if err != nil || len(open) != 2 {
			t.Fatalf("Open = %d slots, %v; want 2", len(open), err)
		}
		// Next week's slots are published but not yet released.
		if _, err := s.Publish(ctx, "site_a", d("2026-03-10"), d("2026-03-10")); err != nil {
			t.Fatal(err)
		}
		if open2, _ := s.Open(ctx, "site_a", 0); len(open2) != 2 {
			t.Errorf("Open before release = %d slots, want 2", len(open2))
		}
		next, _, _ := s.NextRelease(ctx, "site_a")
		if want := time.Date(2026, 3, 3, 8, 0, 0, 0, time.UTC); !next.Equal(want) {
			t.Errorf("NextRelease = %v, want %v", next, want)
		}

		ana, ben := []byte("ana"), []byte("ben")
		a1, err := s.Book(ctx, booking.Request{SlotID: open[0].ID, PreappID: "pre_ana", PersonKey: ana, RequestKey: "k1"})
		if err != nil {
			t.Fatal(err)
		}
		again, err := s.Book(ctx, booking.Request{SlotID: open[0].ID, PreappID: "pre_ana", PersonKey: ana, RequestKey: "k1"})
		if err != nil || again.ID != a1.ID || !again.Repeat || a1.Repeat {
			t.Errorf("retried request = %v, %v; want the same booking %s", again.ID, err, a1.ID)
		}
		if _, err := s.Book(ctx, booking.Request{SlotID: open[0].ID, PreappID: "pre_ben", PersonKey: ben, RequestKey: "k2"}); !errors.Is(err, booking.ErrFull) {
			t.Errorf("Book(full) = %v, want ErrFull", err)
		}
		if _, err := s.Book(ctx, booking.Request{SlotID: open[1].ID, PreappID: "pre_ana", PersonKey: ana, RequestKey: "k3"}); !errors.Is(err, booking.ErrAlreadyBooked) {
			t.Errorf("second booking = %v, want ErrAlreadyBooked", err)
		}
		pos, err := s.Join(ctx, "site_a", "pre_ben", ben)
		if err != nil || pos != 1 {
			t.Errorf("Join = %d, %v; want 1", pos, err)
		}
		// Ana moves to the second slot; her first seat goes to nobody yet
		// (rebooking frees it without promoting), then she cancels and Ben,
		// who waited, gets her seat.
		moved, err := s.Book(ctx, booking.Request{SlotID: open[1].ID, PreappID: "pre_ana", PersonKey: ana, RequestKey: "k4", Rebook: true})
		if err != nil || moved.SlotID != open[1].ID {
			t.Fatalf("Rebook = %+v, %v", moved, err)
		}
		if err := s.Cancel(ctx, "pre_ana"); err != nil {
			t.Fatal(err)
		}
		a, sl, err := s.Appointment(ctx, "pre_ben")
		if err != nil || sl.ID != open[1].ID || a.Status != "booked" {
			t.Errorf("Ben after Ana cancelled: %+v in %s, %v; want booked in %s", a, sl.ID, err, open[1].ID)
		}
		c.t = open[0].StartsAt.Add(time.Minute)
		if _, err := s.Book(ctx, booking.Request{SlotID: open[0].ID, PreappID: "pre_ana", PersonKey: ana}); !errors.Is(err, booking.ErrPast) {
			t.Errorf("Book(started) = %v, want ErrPast", err)
		}
	})
}

func TestLottery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := booking.DefaultRules()
		r.Weekly = map[string][]booking.Hours{"tue": {{Open: "09:00", Close: "10:00"}}}
		r.SlotMinutes, r.Capacity, r.Lottery = 30, 2, true
		r.Release = booking.Release{DaysAhead: 7, At: "08:00"}
		s, c := setup(t, db, r)
		if _, err := s.Publish(ctx, "site_a", d("2026-03-10"), d("2026-03-10")); err != nil {
			t.Fatal(err)
		}
		window, lottery, err := s.NextRelease(ctx, "site_a")
		if err != nil || !lottery {
			t.Fatalf("NextRelease = %v, %v, %v", window, lottery, err)
		}
		for i := range 7 {
			if err := s.Enter(ctx, "site_a", window, fmt.Sprintf("pre_%d", i), []byte{byte(i)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Enter(ctx, "site_a", window, "pre_0", []byte{0}); !errors.Is(err, booking.ErrWaiting) {
			t.Errorf("entering twice = %v, want ErrWaiting", err)
		}
		if _, _, err := s.Draw(ctx, "site_a", window); !errors.Is(err, booking.ErrNotReleased) {
			t.Errorf("early Draw = %v, want ErrNotReleased", err)
		}
		c.t = window
		if err := s.DrawDue(ctx, "site_a"); err != nil {
			t.Fatal(err)
		}
		booked := 0
		for i := range 7 {
			if _, _, err := s.Appointment(ctx, fmt.Sprintf("pre_%d", i)); err == nil {
				booked++
			}
		}
		if booked != 4 {
			t.Fatalf("after DrawDue %d of 7 entrants hold a booking, want 4 (2 slots × 2 seats)", booked)
		}
		for i := range 7 {
			if _, pos, err := s.Position(ctx, fmt.Sprintf("pre_%d", i)); err == nil && (pos < 1 || pos > 3) {
				t.Errorf("waitlist position %d out of 1..3", pos)
			}
		}
		if open, _ := s.Open(ctx, "site_a", 0); len(open) != 0 {
			t.Errorf("after a full draw Open = %d slots, want 0", len(open))
		}
		if again, _, _ := s.Draw(ctx, "site_a", window); again != 0 {
			t.Errorf("second Draw won %d, want 0", again)
		}
	})
}

func TestTickets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, _ := setup(t, db, booking.DefaultRules())
		for range 3 {
			if _, err := s.Take(ctx, "site_a"); err != nil {
				t.Fatal(err)
			}
		}
		called, err := s.CallNext(ctx, "site_a", "2")
		if err != nil || called.Number != 1 {
			t.Fatalf("CallNext = %+v, %v; want number 1", called, err)
		}
		l, err := s.Lobby(ctx, "site_a")
		if err != nil {
			t.Fatal(err)
		}
		got := struct{ Serving, Waiting int }{len(l.Serving), l.Waiting}
		if diff := cmp.Diff(struct{ Serving, Waiting int }{1, 2}, got); diff != "" {
			t.Errorf("Lobby (-want +got):\n%s", diff)
		}
	})
}
