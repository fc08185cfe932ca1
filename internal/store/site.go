package store

import (
	"context"
	"fmt"
	"time"
)

// Site is a place where residents apply: city hall, a partner organization, a mobile unit.
type Site struct {
	ID        string
	Name      string
	Kind      string // "city_hall", "partner", "mobile"
	Address   string // the site's public address, not a person's
	Active    bool
	CreatedAt time.Time
}

// CreateSite inserts s; a duplicate name is ErrConflict.
func (tx *Tx) CreateSite(ctx context.Context, s Site) error {
	_, err := tx.exec(ctx, "INSERT INTO sites (id, name, kind, address, active, created_at) VALUES (?, ?, ?, ?, ?, ?)",
		s.ID, s.Name, s.Kind, s.Address, boolInt(s.Active), micros(s.CreatedAt))
	if isUnique(err) {
		return fmt.Errorf("site %q: %w", s.Name, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create site: %w", err)
	}
	return nil
}

// UpdateSite changes a site's name, kind, address and active flag.
func (tx *Tx) UpdateSite(ctx context.Context, s Site) error {
	res, err := tx.exec(ctx, "UPDATE sites SET name = ?, kind = ?, address = ?, active = ? WHERE id = ?",
		s.Name, s.Kind, s.Address, boolInt(s.Active), s.ID)
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

// Site returns one site by id.
func (db *DB) Site(ctx context.Context, id string) (Site, error) {
	var s Site
	var active int
	var created int64
	err := db.queryRow(ctx, "SELECT id, name, kind, address, active, created_at FROM sites WHERE id = ?", id).
		Scan(&s.ID, &s.Name, &s.Kind, &s.Address, &active, &created)
	if err != nil {
		return Site{}, notFound(err, "site "+id)
	}
	s.Active, s.CreatedAt = active == 1, fromMicros(created)
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
	rows, err := db.query(ctx, "SELECT id, name, kind, address, active, created_at FROM sites ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("list sites: %w", err)
	}
	defer rows.Close()
	var out []Site
	for rows.Next() {
		var s Site
		var active int
		var created int64
		if err := rows.Scan(&s.ID, &s.Name, &s.Kind, &s.Address, &active, &created); err != nil {
			return nil, fmt.Errorf("list sites: %w", err)
		}
		s.Active, s.CreatedAt = active == 1, fromMicros(created)
		out = append(out, s)
	}
	return out, rows.Err()
}
