// Package site manages the places where residents apply: city hall,
// partner organizations and mobile units.
package site

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/randid"
)

// Kinds of site.
const (
	KindCityHall = "city_hall"
	KindPartner  = "partner"
	KindMobile   = "mobile"
)

// Kinds lists the site kinds in display order.
func Kinds() []string { return []string{KindCityHall, KindPartner, KindMobile} }

// Site is a place where residents apply: city hall, a partner organization,
// a mobile unit.
type Site struct {
	ID        string
	Name      string
	Kind      string // KindCityHall, KindPartner, KindMobile
	Address   string // the site's public address, not a person's
	Active    bool
	CreatedAt time.Time
	// What a resident needs to reach the site (validated by validateDetails).
	Phone         string
	Hours         WeekHours
	Languages     []string // languages spoken at the desk, each named in itself
	Accessibility string   // step-free access, hearing loop, parking…
}

// Service creates and edits sites.
type Service struct {
	db   Store
	now  func() time.Time
	rand io.Reader
}

// New returns a Service; nil now/random mean the real clock and crypto/rand.
func New(db Store, now func() time.Time, random io.Reader) *Service {
	if now == nil {
		now = time.Now
	}
	if random == nil {
		random = rand.Reader
	}
	return &Service{db: db, now: now, rand: random}
}

func validate(s Site) person.Errors {
	var errs person.Errors
	switch n := utf8.RuneCountInString(s.Name); {
	case n == 0:
		errs = append(errs, person.FieldError{Field: "name", Key: "error.required"})
	case n > 80:
		errs = append(errs, person.FieldError{Field: "name", Key: "error.too_long"})
	}
	ok := false
	for _, k := range Kinds() {
		ok = ok || k == s.Kind
	}
	if !ok {
		errs = append(errs, person.FieldError{Field: "kind", Key: "error.invalid_choice"})
	}
	if utf8.RuneCountInString(s.Address) > 200 {
		errs = append(errs, person.FieldError{Field: "address", Key: "error.too_long"})
	}
	return append(errs, validateDetails(s)...)
}

// Create adds a site. A duplicate name is a field error on "name".
func (sv *Service) Create(ctx context.Context, by auth.Actor, s Site) (Site, error) {
	if !by.Can(auth.RoleAdmin) {
		return Site{}, fmt.Errorf("only administrators manage sites: %w", errs.ErrForbidden)
	}
	if errs := validate(s); len(errs) > 0 {
		return Site{}, errs
	}
	id, err := randid.New(sv.rand, "site")
	if err != nil {
		return Site{}, err
	}
	s.ID = id
	s.Active = true
	s.CreatedAt = sv.now().UTC()
	err = sv.db.InTx(ctx, func(tx Tx) error {
		if err := tx.CreateSite(ctx, s); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event{At: s.CreatedAt, Actor: by.StaffID, Action: "site.create", RecordType: "site", RecordID: s.ID})
	})
	if errors.Is(err, errs.ErrWriteConflict) {
		return Site{}, person.Errors{{Field: "name", Key: "error.name_taken"}}
	}
	return s, err
}

// Update changes a site.
func (sv *Service) Update(ctx context.Context, by auth.Actor, s Site) error {
	if !by.Can(auth.RoleAdmin) {
		return fmt.Errorf("only administrators manage sites: %w", errs.ErrForbidden)
	}
	if errs := validate(s); len(errs) > 0 {
		return errs
	}
	err := sv.db.InTx(ctx, func(tx Tx) error {
		if err := tx.UpdateSite(ctx, s); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event{At: sv.now(), Actor: by.StaffID, Action: "site.update", RecordType: "site", RecordID: s.ID})
	})
	if errors.Is(err, errs.ErrWriteConflict) {
		return person.Errors{{Field: "name", Key: "error.name_taken"}}
	}
	return err
}

// List returns every site.
func (sv *Service) List(ctx context.Context) ([]Site, error) { return sv.db.Sites(ctx) }

// Get returns one site.
func (sv *Service) Get(ctx context.Context, id string) (Site, error) { return sv.db.Site(ctx, id) }

// ByName finds a site by exact name or id (for the CLI).
func (sv *Service) ByName(ctx context.Context, nameOrID string) (Site, error) {
	sites, err := sv.db.Sites(ctx)
	if err != nil {
		return Site{}, err
	}
	for _, s := range sites {
		if s.ID == nameOrID || s.Name == nameOrID {
			return s, nil
		}
	}
	return Site{}, fmt.Errorf("site %q: %w", nameOrID, errs.ErrNotFound)
}
