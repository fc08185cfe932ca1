package enroll_test

import (
	"errors"
	"testing"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/store"
)

// issued submits, approves and marks an application issued, with a card
// handed over longer ago than the reprint grace period (as the card
// service records it): the record is a cardholder's.
func issued(t *testing.T, e *env, given, surname string) *enroll.Application {
	t.Helper()
	a, err := e.app.Enroll.Submit(ctx, e.clerkA, "", intake(t, given, surname))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Enroll.Approve(ctx, e.supervisor, a.ID, ""); err != nil {
		t.Fatal(err)
	}
	handed := fixedNow.AddDate(0, 0, -e.app.Settings.Retention.NoListGraceDays-1)
	err = e.app.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetApplicationStatus(ctx, a.ID, "approved", "issued", "", e.supervisor.StaffID, nil, handed); err != nil {
			return err
		}
		list := "sl_" + a.ID
		if err := tx.InsertStatusList(ctx, card.StatusListRecord{ID: list, URI: "https://id.example/status/" + list, Bits: 1, Size: 8,
			Compressed: []byte{0}, Version: 1, CreatedAt: handed, UpdatedAt: handed}); err != nil {
			return err
		}
		return tx.InsertCard(ctx, card.Record{ID: "crd_" + a.ID, Number: a.ID, ApplicationID: a.ID, PersonID: a.PersonID, Kind: "new",
			Status: "active", StatusListID: list, KeyID: "k", IssuedAt: handed, ExpiresAt: handed.AddDate(5, 0, 0),
			PrintedAt: handed, PrintCount: 1, HandedOverAt: handed, CreatedAt: handed, UpdatedAt: handed})
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// lastRead is the newest application.read event for id.
func lastRead(t *testing.T, e *env, id string) audit.Event {
	t.Helper()
	events, err := e.app.DB.AuditEvents(ctx, audit.Filter{RecordID: id, Action: "application.read", Limit: 1})
	if err != nil || len(events) == 0 {
		t.Fatalf("no read event for %s: %v", id, err)
	}
	return events[0]
}

func TestPurposeBoundAccess(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		card := issued(t, e, "Ana Lucía", "Quispe")
		decided, err := e.app.Enroll.Submit(ctx, e.clerkA, "", intake(t, "Rosa", "Mamani"))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.app.Enroll.Reject(ctx, e.supervisor, decided.ID, "other", ""); err != nil {
			t.Fatal(err)
		}
		printing, err := e.app.Enroll.Submit(ctx, e.clerkA, "", intake(t, "Luz", "Condori"))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.app.Enroll.Approve(ctx, e.supervisor, printing.ID, ""); err != nil {
			t.Fatal(err)
		}
		err = e.app.DB.InTx(ctx, func(tx *store.Tx) error {
			return tx.SetApplicationStatus(ctx, printing.ID, "approved", "issued", "", e.supervisor.StaffID, nil, fixedNow)
		})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name    string
			who     auth.Actor
			id      string
			purpose enroll.Purpose
			want    error // nil: opened
		}{
			{"cardholder, no purpose", e.supervisor, card.ID, "", enroll.ErrPurpose},
			{"cardholder, routine review", e.supervisor, card.ID, enroll.PurposeReview, enroll.ErrPurpose},
			{"cardholder, receipt", e.supervisor, card.ID, enroll.PurposeReceipt, enroll.ErrPurpose},
			{"cardholder, made-up purpose", e.supervisor, card.ID, "curiosity", enroll.ErrPurpose},
			{"cardholder, clerk of the site", e.clerkA, card.ID, enroll.PurposeCorrection, errs.ErrForbidden},
			{"cardholder, auditor", e.auditor, card.ID, enroll.PurposeFraudReview, errs.ErrForbidden},
			{"cardholder, replacement", e.supervisor, card.ID, enroll.PurposeReplacement, nil},
			{"cardholder, fraud review", e.supervisor, card.ID, enroll.PurposeFraudReview, nil},
			{"decided, no purpose", e.clerkA, decided.ID, "", enroll.ErrPurpose},
			{"decided, receipt", e.clerkA, decided.ID, enroll.PurposeReceipt, nil},
			{"decided, other site's clerk", e.clerkB, decided.ID, enroll.PurposeReceipt, errs.ErrForbidden},
			{"issued, card not handed over yet", e.clerkA, printing.ID, enroll.PurposeReview, nil},
			{"issued, no purpose", e.clerkA, printing.ID, "", enroll.ErrPurpose},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a, err := e.app.Enroll.Get(ctx, tt.who, tt.id, tt.purpose)
				if tt.want != nil {
					if !errors.Is(err, tt.want) || a != nil {
						t.Fatalf("Get(%s, %q) = %v, %v; want %v", tt.who.Username, tt.purpose, a != nil, err, tt.want)
					}
					if ev := lastRead(t, e, tt.id); ev.Outcome != audit.OutcomeDenied || ev.Actor != tt.who.StaffID {
						t.Errorf("refusal recorded as %+v, want a denied read by %s", ev, tt.who.StaffID)
					}
					return
				}
				if err != nil || a.Person.GivenNames == "" {
					t.Fatalf("Get(%s, %q) = %v; want the record", tt.who.Username, tt.purpose, err)
				}
				if ev := lastRead(t, e, tt.id); ev.Outcome != audit.OutcomeOK || ev.Purpose != string(tt.purpose) {
					t.Errorf("read recorded as %+v, want ok with purpose %q", ev, tt.purpose)
				}
			})
		}
	})
}

func TestSearch(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		card := issued(t, e, "María José", "Núñez")
		dob := person.Date{Year: 1987, Month: 4, Day: 19}
		tests := []struct {
			name, given, surnames string
			dob                   person.Date
			want                  int
		}{
			{"exact", "María José", "Núñez Peña", dob, 1},
			{"extra spaces", "  María   José ", "Núñez  Peña", dob, 1},
			{"first surname only", "María José", "Núñez", dob, 0},
			{"partial given name", "María", "Núñez Peña", dob, 0},
			{"another birthday", "María José", "Núñez Peña", person.Date{Year: 1987, Month: 4, Day: 20}, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := e.app.Enroll.Search(ctx, e.supervisor, tt.given, tt.surnames, tt.dob, enroll.PurposeFraudReview)
				if err != nil || len(got) != tt.want {
					t.Fatalf("Search(%q, %q) = %d results, %v; want %d", tt.given, tt.surnames, len(got), err, tt.want)
				}
				if tt.want == 1 && (got[0].ID != card.ID || got[0].Reference != card.Reference) {
					t.Errorf("Search found %+v, want %s", got[0], card.ID)
				}
				ev, err := e.app.DB.AuditEvents(ctx, audit.Filter{Action: "application.search", Limit: 1})
				if err != nil || len(ev) != 1 || ev[0].RecordID != map[int]string{0: "0", 1: "1"}[tt.want] || ev[0].Purpose != string(enroll.PurposeFraudReview) {
					t.Errorf("search event = %+v, want the count %d and the purpose", ev, tt.want)
				}
			})
		}
		if _, err := e.app.Enroll.Search(ctx, e.supervisor, "María José", "", dob, enroll.PurposeFraudReview); !errors.Is(err, enroll.ErrSearch) {
			t.Errorf("Search without surnames = %v, want ErrSearch", err)
		}
		if _, err := e.app.Enroll.Search(ctx, e.supervisor, "María José", "Núñez Peña", person.Date{}, enroll.PurposeFraudReview); !errors.Is(err, enroll.ErrSearch) {
			t.Errorf("Search without a date of birth = %v, want ErrSearch", err)
		}
		if _, err := e.app.Enroll.Search(ctx, e.supervisor, "María José", "Núñez Peña", dob, ""); !errors.Is(err, enroll.ErrPurpose) {
			t.Errorf("Search without a purpose = %v, want ErrPurpose", err)
		}
		for _, who := range []auth.Actor{e.clerkA, e.auditor} {
			if _, err := e.app.Enroll.Search(ctx, who, "María José", "Núñez Peña", dob, enroll.PurposeFraudReview); !errors.Is(err, errs.ErrForbidden) {
				t.Errorf("Search by %s = %v, want ErrForbidden", who.Username, err)
			}
			ev, _ := e.app.DB.AuditEvents(ctx, audit.Filter{Action: "application.search", Actor: who.StaffID})
			if len(ev) != 1 || ev[0].Outcome != audit.OutcomeDenied {
				t.Errorf("refused search by %s recorded as %+v, want one denied event", who.Username, ev)
			}
		}
	})
}

func TestAccessExport(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		card := issued(t, e, "Ana Lucía", "Quispe")
		if _, err := e.app.Enroll.Get(ctx, e.supervisor, card.ID, enroll.PurposeCorrection); err != nil {
			t.Fatal(err)
		}
		if _, err := e.app.Enroll.AccessExport(ctx, e.clerkA, card.ID); !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("AccessExport by a clerk = %v, want ErrForbidden", err)
		}
		if err := e.app.DB.InTx(ctx, func(tx *store.Tx) error {
			return tx.AppendAudit(ctx, audit.Event{Actor: e.clerkA.StaffID, Action: "card.handover", RecordType: "card", RecordID: "crd_" + card.ID})
		}); err != nil {
			t.Fatal(err)
		}
		got, err := e.app.Enroll.AccessExport(ctx, e.supervisor, card.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Application.Person.FullName() != "Ana Lucía Quispe Peña" {
			t.Errorf("export holds %q", got.Application.Person.FullName())
		}
		var actions []string
		for _, ev := range got.Events {
			actions = append(actions, ev.Action+"/"+ev.Purpose)
		}
		want := []string{"application.read/resident_request", "card.handover/", "application.access_export/", "application.read/correction", "application.approve/", "application.submit/"}
		if len(actions) < len(want) {
			t.Fatalf("export events = %v, want at least %v", actions, want)
		}
		for i, w := range want {
			if actions[i] != w {
				t.Errorf("export event %d = %s, want %s (all: %v)", i, actions[i], w, actions)
			}
		}
		denied, _ := e.app.DB.AuditEvents(ctx, audit.Filter{Action: "application.access_export", RecordID: card.ID})
		if len(denied) != 1 || denied[0].Outcome != audit.OutcomeDenied {
			t.Errorf("refused export recorded as %+v, want one denied event", denied)
		}
	})
}
