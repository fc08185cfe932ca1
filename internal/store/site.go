package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cityid/cityid/internal/site"
)

// Site, Span and WeekHours are package site's types: the domain owns them
// and this package stores them (DB.SiteStorage implements site.Store).
type (
	Site      = site.Site
	Span      = site.Span
	WeekHours = site.WeekHours
)

func encodeSiteExtras(s Site) (hours, langs string, err error) {
	if s.Hours.Known() {
		b, err := json.Marshal(s.Hours)
		if err != nil {
			return "", "", fmt.Errorf("site hours: %w", err)
		}
		hours = string(b)
	}
	if len(s.Languages) > 0 {
		b, err := json.Marshal(s.Languages)
		if err != nil {
			return "", "", fmt.Errorf("site languages: %w", err)
		}
		langs = string(b)
	}
	return hours, langs, nil
}

func decodeSiteExtras(s *Site, hours, langs string) error {
	if hours != "" {
		if err := json.Unmarshal([]byte(hours), &s.Hours); err != nil {
			return fmt.Errorf("site %s hours: %w", s.ID, err)
		}
	}
	if langs != "" {
		if err := json.Unmarshal([]byte(langs), &s.Languages); err != nil {
			return fmt.Errorf("site %s languages: %w", s.ID, err)
		}
	}
	return nil
}

// CreateSite inserts s; a duplicate name is ErrConflict.
func (tx *Tx) CreateSite(ctx context.Context, s Site) error {
	hours, langs, err := encodeSiteExtras(s)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, "INSERT INTO sites (id, name, kind, address, active, created_at, phone, hours, languages, accessibility) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		s.ID, s.Name, s.Kind, s.Address, boolInt(s.Active), micros(s.CreatedAt), s.Phone, hours, langs, s.Accessibility)
	if isUnique(err) {
		return fmt.Errorf("site %q: %w", s.Name, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create site: %w", err)
	}
	return nil
}

// UpdateSite changes everything about a site but its id and creation time.
func (tx *Tx) UpdateSite(ctx context.Context, s Site) error {
	hours, langs, err := encodeSiteExtras(s)
	if err != nil {
		return err
	}
	res, err := tx.exec(ctx, "UPDATE sites SET name = ?, kind = ?, address = ?, active = ?, phone = ?, hours = ?, languages = ?, accessibility = ? WHERE id = ?",
		s.Name, s.Kind, s.Address, boolInt(s.Active), s.Phone, hours, langs, s.Accessibility, s.ID)
	if isUnique(err) {
		return fmt.Errorf("site %q: %w", s.Name, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("update site: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("site %s: %w", s.ID, ErrNotFound)
	}
	return nil
}

const siteColumns = "id, name, kind, address, active, created_at, phone, hours, languages, accessibility"

func scanSite(row scanner) (Site, error) {
	var s Site
	var active int
	var created int64
	var hours, langs string
	if err := row.Scan(&s.ID, &s.Name, &s.Kind, &s.Address, &active, &created, &s.Phone, &hours, &langs, &s.Accessibility); err != nil {
		return Site{}, err
	}
	s.Active, s.CreatedAt = active == 1, fromMicros(created)
	return s, decodeSiteExtras(&s, hours, langs)
}

// Site returns one site by id.
func (db *DB) Site(ctx context.Context, id string) (Site, error) {
	s, err := scanSite(db.queryRow(ctx, "SELECT "+siteColumns+" FROM sites WHERE id = ?", id))
	if err != nil {
		return Site{}, notFound(err, "site "+id)
	}
	return s, nil
}

// SiteExists reports whether a site id is known.
func (db *DB) SiteExists(ctx context.Context, id string) (bool, error) {
	var n int
	if err := db.queryRow(ctx, "SELECT COUNT(*) FROM sites WHERE id = ?", id).Scan(&n); err != nil {
		return false, fmt.Errorf("site %s: %w", id, err)
	}
	return n > 0, nil
}

// Sites lists all sites by name.
func (db *DB) Sites(ctx context.Context) ([]Site, error) {
	rows, err := db.query(ctx, "SELECT "+siteColumns+" FROM sites ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("list sites: %w", err)
	}
	defer rows.Close()
	var out []Site
	for rows.Next() {
		s, err := scanSite(rows)
		if err != nil {
			return nil, fmt.Errorf("list sites: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
