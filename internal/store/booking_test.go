package store_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
)

func addSlot(t *testing.T, db *store.DB, id string, capacity int, start time.Time) {
	t.Helper()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.InsertSlot(ctx, store.Slot{ID: id, SiteID: "site_a", StartsAt: start, EndsAt: start.Add(15 * time.Minute), Capacity: capacity, ReleaseAt: start.Add(-48 * time.Hour)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func book(db *store.DB, slot, person, req string) error {
	now := time.Now()
	return db.InTx(ctx, func(tx *store.Tx) error {
		return tx.Book(ctx, store.Appointment{ID: "apt_" + person + "_" + req, SlotID: slot, SiteID: "site_a", PreappID: "pre_" + person,
			PersonKey: []byte(person), Status: "booked", RequestKey: req, CreatedAt: now, UpdatedAt: now})
	})
}

// TestBookConcurrent: many goroutines race for a slot of capacity N; exactly
// N win, the rest see ErrFull, and the stored count matches the rows.
func TestBookConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seedSite(t, db)
		const capacity, people = 7, 60
		addSlot(t, db, "slot_1", capacity, time.Now().Add(72*time.Hour))
		var wg sync.WaitGroup
		errs := make([]error, people)
		for i := range people {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = book(db, "slot_1", fmt.Sprintf("p%d", i), fmt.Sprintf("r%d", i))
			}()
		}
		wg.Wait()
		ok, full := 0, 0
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, store.ErrFull):
				full++
			default:
				t.Errorf("Book(p%d) = %v, want nil or ErrFull", i, err)
			}
		}
		if ok != capacity || full != people-capacity {
			t.Errorf("bookings = %d ok, %d full; want %d, %d", ok, full, capacity, people-capacity)
		}
		s, err := db.Slot(ctx, "slot_1")
		if err != nil || s.Booked != capacity {
			t.Errorf("Slot().Booked = %d, %v; want %d", s.Booked, err, capacity)
		}
	})
}

func TestBookOnePerPersonAndRequestKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seedSite(t, db)
		start := time.Now().Add(72 * time.Hour)
		addSlot(t, db, "slot_1", 5, start)
		addSlot(t, db, "slot_2", 5, start.Add(time.Hour))
		if err := book(db, "slot_1", "ana", "r1"); err != nil {
			t.Fatal(err)
		}
		if err := book(db, "slot_1", "ana", "r1"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("same request key again = %v, want ErrConflict", err)
		}
		if err := book(db, "slot_2", "ana", "r2"); !errors.Is(err, store.ErrAlreadyBooked) {
			t.Errorf("second booking for a person = %v, want ErrAlreadyBooked", err)
		}
		for _, id := range []string{"slot_1", "slot_2"} {
			s, _ := db.Slot(ctx, id)
			if want := map[string]int{"slot_1": 1, "slot_2": 0}[id]; s.Booked != want {
				t.Errorf("%s booked = %d, want %d (a refused booking must not keep a seat)", id, s.Booked, want)
			}
		}
		a, err := db.AppointmentByRequestKey(ctx, "r1")
		if err != nil || a.SlotID != "slot_1" {
			t.Fatalf("AppointmentByRequestKey = %+v, %v", a, err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CancelAppointment(ctx, a.ID, time.Now()) }); err != nil {
			t.Fatal(err)
		}
		if s, _ := db.Slot(ctx, "slot_1"); s.Booked != 0 {
			t.Errorf("after cancel booked = %d, want 0", s.Booked)
		}
		if err := book(db, "slot_2", "ana", "r3"); err != nil {
			t.Errorf("booking after cancel = %v, want nil", err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CancelAppointment(ctx, a.ID, time.Now()) }); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("cancel twice = %v, want ErrNotFound", err)
		}
	})
}

func TestTicketsAndWaitlist(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seedSite(t, db)
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := db.InTx(ctx, func(tx *store.Tx) error {
					_, err := tx.TakeTicket(ctx, store.Ticket{ID: fmt.Sprintf("tkt_%d", i), SiteID: "site_a", Day: "2026-03-02", CreatedAt: time.Now()})
					return err
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		list, err := db.Tickets(ctx, "site_a", "2026-03-02")
		if err != nil || len(list) != 20 || list[0].Number != 1 || list[19].Number != 20 {
			t.Fatalf("Tickets = %d tickets, %v; want numbers 1..20", len(list), err)
		}
		var called []int
		for range 2 {
			err := db.InTx(ctx, func(tx *store.Tx) error {
				tk, err := tx.CallNextTicket(ctx, "site_a", "2026-03-02", "desk 1", time.Now())
				called = append(called, tk.Number)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if called[0] != 1 || called[1] != 2 {
			t.Errorf("called %v, want [1 2]", called)
		}

		now := time.Now()
		join := func(id, person string) error {
			return db.InTx(ctx, func(tx *store.Tx) error {
				return tx.JoinWaitlist(ctx, store.WaitlistEntry{ID: id, SiteID: "site_a", PreappID: "pre_" + person, PersonKey: []byte(person), CreatedAt: now})
			})
		}
		if err := join("w1", "ana"); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Second)
		if err := join("w2", "ben"); err != nil {
			t.Fatal(err)
		}
		if err := join("w3", "ana"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("joining twice = %v, want ErrConflict", err)
		}
		if _, pos, err := db.WaitlistPosition(ctx, "pre_ben"); err != nil || pos != 2 {
			t.Errorf("WaitlistPosition(ben) = %d, %v; want 2", pos, err)
		}
	})
}

func TestPreapplicationExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := time.Now().UTC().Truncate(time.Microsecond)
		p := store.Preapplication{ID: "pre_1", RefIndex: []byte("idx1"), PersonID: "per_pre_1", PersonKey: []byte("pk"), IdempotencyKey: "k1",
			Language: "es", Person: []byte{1}, Documents: []byte{2}, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertPerson(ctx, enroll.PersonKey{ID: p.PersonID, WrappedKey: []byte("w"), KEKID: "k", CreatedAt: now}); err != nil {
				return err
			}
			return tx.InsertPreapplication(ctx, p)
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.PreapplicationByRef(ctx, []byte("idx1"), now)
		if err != nil || got.ID != "pre_1" || got.Language != "es" || !got.ExpiresAt.Equal(p.ExpiresAt) {
			t.Fatalf("PreapplicationByRef = %+v, %v", got, err)
		}
		if _, err := db.PreapplicationByRef(ctx, []byte("idx1"), now.Add(25*time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("expired lookup = %v, want ErrNotFound", err)
		}
		if _, err := db.PreapplicationByApplication(ctx, "app_1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("by application before use = %v, want ErrNotFound", err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.MarkPreapplicationUsed(ctx, "pre_1", "app_1", now) }); err != nil {
			t.Fatal(err)
		}
		if got, err := db.PreapplicationByApplication(ctx, "app_1"); err != nil || got.ID != "pre_1" {
			t.Errorf("PreapplicationByApplication = %+v, %v", got, err)
		}
		var n int
		err = db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			n, err = tx.PurgePreapplications(ctx, now.Add(25*time.Hour))
			return err
		})
		if err != nil || n != 1 {
			t.Fatalf("Purge = %d, %v; want 1", n, err)
		}
		if _, err := db.Person(ctx, "per_pre_1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("person key survived the purge: %v", err)
		}
	})
}
