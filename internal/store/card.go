package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/enroll"
)

const cardColumns = `id, number, application_id, person_id, kind, status, status_list_id, status_index, key_id,
	issued_at, expires_at, printed_at, print_count, handed_over_at, replaces, replaced_by, fee_cents, waiver_reason,
	reason, created_at, updated_at, fee_taken_by, fee_site_id, payment_method`

func scanCard(s scanner) (card.Record, error) {
	var c card.Record
	var replaces, replacedBy *string
	var issued, expires, printed, handed, created, updated int64
	err := s.Scan(&c.ID, &c.Number, &c.ApplicationID, &c.PersonID, (*string)(&c.Kind), (*string)(&c.Status), &c.StatusListID, &c.StatusIndex,
		&c.KeyID, &issued, &expires, &printed, &c.PrintCount, &handed, &replaces, &replacedBy, &c.FeeCents,
		&c.WaiverReason, &c.Reason, &created, &updated, &c.FeeTakenBy, &c.FeeSiteID, &c.PaymentMethod)
	if err != nil {
		return card.Record{}, err
	}
	if replaces != nil {
		c.Replaces = *replaces
	}
	if replacedBy != nil {
		c.ReplacedBy = *replacedBy
	}
	c.IssuedAt, c.ExpiresAt, c.PrintedAt = fromMicros(issued), fromMicros(expires), fromMicros(printed)
	c.HandedOverAt, c.CreatedAt, c.UpdatedAt = fromMicros(handed), fromMicros(created), fromMicros(updated)
	return c, nil
}

// InsertCard inserts c. A number or status-list index already taken is
// ErrConflict (the caller draws again).
func (tx *Tx) InsertCard(ctx context.Context, c card.Record) error {
	ph := strings.TrimSuffix(strings.Repeat("?, ", 24), ", ")
	_, err := tx.exec(ctx, "INSERT INTO cards ("+cardColumns+") VALUES ("+ph+")",
		c.ID, c.Number, c.ApplicationID, c.PersonID, string(c.Kind), string(c.Status), c.StatusListID, c.StatusIndex, c.KeyID,
		micros(c.IssuedAt), micros(c.ExpiresAt), micros(c.PrintedAt), c.PrintCount, micros(c.HandedOverAt),
		nullString(c.Replaces), nullString(c.ReplacedBy), c.FeeCents, c.WaiverReason, c.Reason,
		micros(c.CreatedAt), micros(c.UpdatedAt), c.FeeTakenBy, c.FeeSiteID, c.PaymentMethod)
	if isUnique(err) {
		return fmt.Errorf("card: %w", ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("insert card: %w", err)
	}
	return nil
}

// SetCardStatus moves a card from status from to status to with a reason
// code; ErrConflict when the card is no longer in status from, so two staff
// members cannot both change it.
func (tx *Tx) SetCardStatus(ctx context.Context, id string, from, to card.Status, reason string, at time.Time) error {
	res, err := tx.exec(ctx, "UPDATE cards SET status = ?, reason = ?, updated_at = ? WHERE id = ? AND status = ?",
		string(to), reason, micros(at), id, string(from))
	if err != nil {
		return fmt.Errorf("set card status: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("card %s is not %s: %w", id, from, ErrConflict)
	}
	return nil
}

// SetCardReplacedBy records the card that renews or replaces id and retires
// id (status "replaced") if it is still in status from.
func (tx *Tx) SetCardReplacedBy(ctx context.Context, id string, from card.Status, by, reason string, at time.Time) error {
	res, err := tx.exec(ctx, `UPDATE cards SET status = 'replaced', replaced_by = ?, reason = ?, updated_at = ?
		WHERE id = ? AND status = ? AND replaced_by IS NULL`, by, reason, micros(at), id, string(from))
	if err != nil {
		return fmt.Errorf("replace card: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("card %s is not %s: %w", id, from, ErrConflict)
	}
	return nil
}

// MarkCardPrinted records a print of id signed with key keyID: the first
// print time is kept and the print count increases.
func (tx *Tx) MarkCardPrinted(ctx context.Context, id, keyID string, at time.Time) error {
	res, err := tx.exec(ctx, `UPDATE cards SET printed_at = CASE WHEN printed_at = 0 THEN ? ELSE printed_at END,
		print_count = print_count + 1, key_id = ?, updated_at = ? WHERE id = ?`, micros(at), keyID, micros(at), id)
	if err != nil {
		return fmt.Errorf("mark card printed: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("card %s: %w", id, ErrNotFound)
	}
	return nil
}

// MarkCardHandedOver records that the holder received a printed card; it is
// ErrConflict when the card was never printed or was already handed over.
func (tx *Tx) MarkCardHandedOver(ctx context.Context, id string, at time.Time) error {
	res, err := tx.exec(ctx, `UPDATE cards SET handed_over_at = ?, updated_at = ?
		WHERE id = ? AND printed_at <> 0 AND handed_over_at = 0`, micros(at), micros(at), id)
	if err != nil {
		return fmt.Errorf("mark card handed over: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("card %s is not printed and waiting: %w", id, ErrConflict)
	}
	return nil
}

// Card returns one card by id.
func (db *DB) Card(ctx context.Context, id string) (card.Record, error) {
	c, err := scanCard(db.queryRow(ctx, "SELECT "+cardColumns+" FROM cards WHERE id = ?", id))
	if err != nil {
		return card.Record{}, notFound(err, "card "+id)
	}
	return c, nil
}

// Card returns one card by id inside the transaction.
func (tx *Tx) Card(ctx context.Context, id string) (card.Record, error) {
	c, err := scanCard(tx.queryRow(ctx, "SELECT "+cardColumns+" FROM cards WHERE id = ?", id))
	if err != nil {
		return card.Record{}, notFound(err, "card "+id)
	}
	return c, nil
}

// CardByNumber returns the card with a compact 13-digit number.
func (db *DB) CardByNumber(ctx context.Context, number string) (card.Record, error) {
	c, err := scanCard(db.queryRow(ctx, "SELECT "+cardColumns+" FROM cards WHERE number = ?", number))
	if err != nil {
		return card.Record{}, notFound(err, "card by number")
	}
	return c, nil
}

// CardsOf lists the cards issued from an application (id and hand-over
// time), oldest first.
func (db *DB) CardsOf(ctx context.Context, applicationID string) ([]enroll.IssuedCard, error) {
	rows, err := db.query(ctx, "SELECT id, handed_over_at FROM cards WHERE application_id = ? ORDER BY created_at, id", applicationID)
	if err != nil {
		return nil, fmt.Errorf("cards of application: %w", err)
	}
	defer rows.Close()
	var out []enroll.IssuedCard
	for rows.Next() {
		var c enroll.IssuedCard
		var at int64
		if err := rows.Scan(&c.ID, &at); err != nil {
			return nil, fmt.Errorf("cards of application: %w", err)
		}
		c.HandedOverAt = fromMicros(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// ListCards returns cards, oldest first.
func (db *DB) ListCards(ctx context.Context, f card.Filter) ([]card.Record, error) {
	q := "SELECT " + cardColumns + " FROM cards WHERE 1=1"
	var args []any
	if f.ApplicationID != "" {
		q += " AND application_id = ?"
		args = append(args, f.ApplicationID)
	}
	if len(f.Statuses) > 0 {
		q += " AND status IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(f.Statuses)), ", ") + ")"
		for _, s := range f.Statuses {
			args = append(args, string(s))
		}
	}
	if f.Unprinted {
		q += " AND printed_at = 0"
	}
	if f.AwaitingPickup {
		q += " AND printed_at > 0 AND handed_over_at = 0"
	}
	if !f.PrintedBefore.IsZero() {
		q += " AND printed_at > 0 AND printed_at < ?"
		args = append(args, micros(f.PrintedBefore))
	}
	if f.SiteID != "" {
		q += " AND application_id IN (SELECT id FROM applications WHERE site_id = ?)"
		args = append(args, f.SiteID)
	}
	if !f.ExpiresBefore.IsZero() {
		q += " AND expires_at < ?"
		args = append(args, micros(f.ExpiresBefore))
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > 1000 {
		f.Limit = 1000
	}
	q += fmt.Sprintf(" ORDER BY created_at, id LIMIT %d OFFSET %d", f.Limit, max(f.Offset, 0))
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list cards: %w", err)
	}
	defer rows.Close()
	var out []card.Record
	for rows.Next() {
		c, err := scanCard(rows)
		if err != nil {
			return nil, fmt.Errorf("list cards: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CardIndexUsed reports whether a card or a phone credential already holds
// index idx of list.
func (tx *Tx) CardIndexUsed(ctx context.Context, listID string, idx int) (bool, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM cards WHERE status_list_id = ? AND status_index = ?)
		+ (SELECT COUNT(*) FROM phone_credentials WHERE status_list_id = ? AND status_index = ?)`, listID, idx, listID, idx).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("card index: %w", err)
	}
	return n > 0, nil
}

const listColumns = "id, uri, bits, size, used, compressed, version, created_at, updated_at"

func scanList(s scanner) (card.StatusListRecord, error) {
	var l card.StatusListRecord
	var created, updated int64
	if err := s.Scan(&l.ID, &l.URI, &l.Bits, &l.Size, &l.Used, &l.Compressed, &l.Version, &created, &updated); err != nil {
		return card.StatusListRecord{}, err
	}
	l.CreatedAt, l.UpdatedAt = fromMicros(created), fromMicros(updated)
	return l, nil
}

// InsertStatusList stores a new list; a taken id or URI is ErrConflict.
func (tx *Tx) InsertStatusList(ctx context.Context, l card.StatusListRecord) error {
	_, err := tx.exec(ctx, "INSERT INTO status_lists ("+listColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		l.ID, l.URI, l.Bits, l.Size, l.Used, l.Compressed, l.Version, micros(l.CreatedAt), micros(l.UpdatedAt))
	if isUnique(err) {
		return fmt.Errorf("status list %s: %w", l.ID, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("insert status list: %w", err)
	}
	return nil
}

// UpdateStatusList writes l's compressed list and used count if the stored
// version is still l.Version, and bumps the version; ErrConflict when
// another writer changed the list first.
func (tx *Tx) UpdateStatusList(ctx context.Context, l card.StatusListRecord, at time.Time) error {
	res, err := tx.exec(ctx, `UPDATE status_lists SET compressed = ?, used = ?, version = version + 1, updated_at = ?
		WHERE id = ? AND version = ?`, l.Compressed, l.Used, micros(at), l.ID, l.Version)
	if err != nil {
		return fmt.Errorf("update status list: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("status list %s changed concurrently: %w", l.ID, ErrConflict)
	}
	return nil
}

// StatusList returns one list by id inside the transaction.
func (tx *Tx) StatusList(ctx context.Context, id string) (card.StatusListRecord, error) {
	l, err := scanList(tx.queryRow(ctx, "SELECT "+listColumns+" FROM status_lists WHERE id = ?", id))
	if err != nil {
		return card.StatusListRecord{}, notFound(err, "status list "+id)
	}
	return l, nil
}

// StatusListForUpdate returns list id and, on PostgreSQL, locks its row
// until the transaction ends, so concurrent writers of one list queue up
// instead of failing their version check. (SQLite has one writer anyway.)
func (tx *Tx) StatusListForUpdate(ctx context.Context, id string) (card.StatusListRecord, error) {
	q := "SELECT " + listColumns + " FROM status_lists WHERE id = ?"
	if tx.dialect == Postgres {
		q += " FOR UPDATE"
	}
	l, err := scanList(tx.queryRow(ctx, q, id))
	if err != nil {
		return card.StatusListRecord{}, notFound(err, "status list "+id)
	}
	return l, nil
}

// StatusList returns one list by id.
func (db *DB) StatusList(ctx context.Context, id string) (card.StatusListRecord, error) {
	l, err := scanList(db.queryRow(ctx, "SELECT "+listColumns+" FROM status_lists WHERE id = ?", id))
	if err != nil {
		return card.StatusListRecord{}, notFound(err, "status list "+id)
	}
	return l, nil
}

// StatusListByURI returns the list published at uri.
func (db *DB) StatusListByURI(ctx context.Context, uri string) (card.StatusListRecord, error) {
	l, err := scanList(db.queryRow(ctx, "SELECT "+listColumns+" FROM status_lists WHERE uri = ?", uri))
	if err != nil {
		return card.StatusListRecord{}, notFound(err, "status list by uri")
	}
	return l, nil
}

// OpenStatusList returns the newest list with room left (used below
// maxUsed) inside the transaction, or ErrNotFound when there is none.
func (tx *Tx) OpenStatusList(ctx context.Context, maxUsed int) (card.StatusListRecord, error) {
	l, err := scanList(tx.queryRow(ctx, "SELECT "+listColumns+
		" FROM status_lists WHERE used < ? ORDER BY created_at DESC, id DESC LIMIT 1", maxUsed))
	if err != nil {
		return card.StatusListRecord{}, notFound(err, "open status list")
	}
	return l, nil
}

// CountStatusLists returns how many lists exist (to number a new one).
func (tx *Tx) CountStatusLists(ctx context.Context) (int, error) {
	var n int
	if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM status_lists").Scan(&n); err != nil {
		return 0, fmt.Errorf("count status lists: %w", err)
	}
	return n, nil
}

// StatusLists returns every list, oldest first.
func (db *DB) StatusLists(ctx context.Context) ([]card.StatusListRecord, error) {
	rows, err := db.query(ctx, "SELECT "+listColumns+" FROM status_lists ORDER BY created_at, id")
	if err != nil {
		return nil, fmt.Errorf("list status lists: %w", err)
	}
	defer rows.Close()
	var out []card.StatusListRecord
	for rows.Next() {
		l, err := scanList(rows)
		if err != nil {
			return nil, fmt.Errorf("list status lists: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// CountVerification adds one check by partner on day (YYYY-MM-DD) with
// outcome. Only the count is kept, never which card was checked.
func (db *DB) CountVerification(ctx context.Context, day, partner, outcome string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO verification_counters (day, partner, outcome, checks) VALUES (?, ?, ?, 1)
			ON CONFLICT (day, partner, outcome) DO UPDATE SET checks = verification_counters.checks + 1`,
			day, partner, outcome)
		if err != nil {
			return fmt.Errorf("count verification: %w", err)
		}
		return nil
	})
}

// VerificationCounts returns the counters for days from..to (inclusive, YYYY-MM-DD).
func (db *DB) VerificationCounts(ctx context.Context, from, to string) ([]card.VerificationCount, error) {
	rows, err := db.query(ctx, `SELECT day, partner, outcome, checks FROM verification_counters
		WHERE day >= ? AND day <= ? ORDER BY day, partner, outcome`, from, to)
	if err != nil {
		return nil, fmt.Errorf("verification counts: %w", err)
	}
	defer rows.Close()
	var out []card.VerificationCount
	for rows.Next() {
		var v card.VerificationCount
		if err := rows.Scan(&v.Day, &v.Partner, &v.Outcome, &v.Checks); err != nil {
			return nil, fmt.Errorf("verification counts: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// LockStatusLists serializes status-list allocation across transactions on
// PostgreSQL, so two first issues cannot each create a new list (SQLite
// already runs one writer at a time). It holds until the transaction ends.
func (tx *Tx) LockStatusLists(ctx context.Context) error {
	if tx.dialect != Postgres {
		return nil
	}
	if _, err := tx.exec(ctx, "SELECT pg_advisory_xact_lock(7314003)"); err != nil {
		return fmt.Errorf("lock status lists: %w", err)
	}
	return nil
}

// InsertCardReview lists a card for a second review.
func (tx *Tx) InsertCardReview(ctx context.Context, r card.ReviewRecord) error {
	if _, err := tx.exec(ctx, "INSERT INTO card_reviews (card_id, reason, created_at) VALUES (?, ?, ?)", r.CardID, r.Reason, micros(r.CreatedAt)); err != nil {
		return fmt.Errorf("card review: %w", err)
	}
	return nil
}

// PendingCardReviews lists cards waiting for their second review, oldest first.
func (db *DB) PendingCardReviews(ctx context.Context, limit int) ([]card.ReviewRecord, error) {
	if limit <= 0 {
		limit = 500
	}
	rows, err := db.query(ctx, "SELECT card_id, reason, created_at, reviewed_by, reviewed_at FROM card_reviews WHERE reviewed_at = 0 ORDER BY created_at, card_id LIMIT ?", limit)
	if err != nil {
		return nil, fmt.Errorf("card reviews: %w", err)
	}
	defer rows.Close()
	var out []card.ReviewRecord
	for rows.Next() {
		var r card.ReviewRecord
		var c, at int64
		if err := rows.Scan(&r.CardID, &r.Reason, &c, &r.ReviewedBy, &at); err != nil {
			return nil, fmt.Errorf("card reviews: %w", err)
		}
		r.CreatedAt, r.ReviewedAt = fromMicros(c), fromMicros(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// CompleteCardReview records the second review of a listed card; a card not
// waiting for one is ErrNotFound.
func (tx *Tx) CompleteCardReview(ctx context.Context, cardID, by string, at time.Time) error {
	res, err := tx.exec(ctx, "UPDATE card_reviews SET reviewed_by = ?, reviewed_at = ? WHERE card_id = ? AND reviewed_at = 0", by, micros(at), cardID)
	if err != nil {
		return fmt.Errorf("card review: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("card review %s: %w", cardID, ErrNotFound)
	}
	return nil
}
