package store

import (
	"context"
	"fmt"

	"github.com/cityid/cityid/internal/auth"
)

const staffRequestColumns = `id, kind, staff_id, username, display_name, role, site_id, requested_by, requested_at`

func scanStaffRequest(s scanner) (auth.StaffRequest, error) {
	var r auth.StaffRequest
	var at int64
	err := s.Scan(&r.ID, &r.Kind, &r.StaffID, &r.Username, &r.DisplayName, &r.Role, &r.SiteID, &r.RequestedBy, &at)
	if err != nil {
		return auth.StaffRequest{}, err
	}
	r.RequestedAt = fromMicros(at)
	return r, nil
}

// CreateStaffRequest stores a request awaiting a second administrator.
func (tx *Tx) CreateStaffRequest(ctx context.Context, r auth.StaffRequest) error {
	_, err := tx.exec(ctx, `INSERT INTO staff_requests (`+staffRequestColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Kind, r.StaffID, r.Username, r.DisplayName, r.Role, r.SiteID, r.RequestedBy, micros(r.RequestedAt))
	if err != nil {
		return fmt.Errorf("create staff request: %w", err)
	}
	return nil
}

// StaffRequestByID reads one pending request inside the transaction.
func (tx *Tx) StaffRequestByID(ctx context.Context, id string) (auth.StaffRequest, error) {
	r, err := scanStaffRequest(tx.queryRow(ctx, "SELECT "+staffRequestColumns+" FROM staff_requests WHERE id = ?", id))
	if err != nil {
		return auth.StaffRequest{}, notFound(err, "staff request "+id)
	}
	return r, nil
}

// DeleteStaffRequest removes a decided request.
func (tx *Tx) DeleteStaffRequest(ctx context.Context, id string) error {
	res, err := tx.exec(ctx, "DELETE FROM staff_requests WHERE id = ?", id)
	if err != nil {
		return fmt.Errorf("delete staff request: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete staff request: %w", err)
	} else if n == 0 {
		return fmt.Errorf("delete staff request %s: %w", id, ErrNotFound)
	}
	return nil
}

// StaffRequests lists the pending requests, oldest first.
func (db *DB) StaffRequests(ctx context.Context) ([]auth.StaffRequest, error) {
	rows, err := db.query(ctx, "SELECT "+staffRequestColumns+" FROM staff_requests ORDER BY requested_at, id")
	if err != nil {
		return nil, fmt.Errorf("list staff requests: %w", err)
	}
	defer rows.Close()
	var out []auth.StaffRequest
	for rows.Next() {
		r, err := scanStaffRequest(rows)
		if err != nil {
			return nil, fmt.Errorf("list staff requests: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list staff requests: %w", err)
	}
	return out, nil
}
