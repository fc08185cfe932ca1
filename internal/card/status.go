package card

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/credential/statuslist"
	"github.com/cityid/cityid/internal/errs"
)

// Status lists: 2 bits per entry (valid, invalid, suspended), at least
// 2^17 entries each, and a new list once half of one is used, so a random
// free index is found in one or two draws and every card hides among at
// least 65,536 others.
const (
	listBits    = 2
	minListSize = statuslist.RecommendedSize
)

// StatusPath is the URL path prefix under which status lists are served;
// a list's URI is Program.IssuerURL + StatusPath + its id.
const StatusPath = "/status/"

// listValue is the status-list value for a card status.
func listValue(st Status) statuslist.Status {
	switch st {
	case StatusActive, StatusExpired: // expiry is in the credential itself
		return statuslist.Valid
	case StatusSuspended:
		return statuslist.Suspended
	}
	return statuslist.Invalid // revoked, replaced
}

// allocate returns a status list with room and a random unused index in it,
// creating a list when none has room.
func (s *Service) allocate(ctx context.Context, tx Tx, now time.Time) (string, int, error) {
	// One allocator at a time: otherwise two first issues on PostgreSQL
	// could each find no open list and create one.
	if err := tx.LockStatusLists(ctx); err != nil {
		return "", 0, err
	}
	l, err := tx.OpenStatusList(ctx, s.listSize/2)
	if errors.Is(err, errs.ErrNotFound) {
		l, err = s.createList(ctx, tx, now)
	}
	if err != nil {
		return "", 0, err
	}
	// Lock the list (and re-read its version) before drawing from it.
	if l, err = tx.StatusListForUpdate(ctx, l.ID); err != nil {
		return "", 0, err
	}
	cur, err := statuslist.Decode(l.Compressed, l.Bits, l.Size)
	if err != nil {
		return "", 0, fmt.Errorf("status list %s: %w", l.ID, err)
	}
	var lookupErr error
	idx, err := cur.RandomIndex(s.rand, func(i int) bool {
		// An entry that is not "valid" belonged to a card: one still on
		// record, or one erased by a purge (RetireSlots). Giving it to a new
		// card would bring the old card back to life.
		if v, err := cur.Get(i); err != nil || v != statuslist.Valid {
			return true
		}
		used, err := tx.CardIndexUsed(ctx, l.ID, i)
		if err != nil {
			lookupErr = err
			return false
		}
		return used
	})
	if err := errors.Join(err, lookupErr); err != nil {
		return "", 0, fmt.Errorf("status list %s: %w", l.ID, err)
	}
	l.Used++
	if err := tx.UpdateStatusList(ctx, l, now); err != nil {
		return "", 0, retryable(err)
	}
	return l.ID, idx, nil
}

func (s *Service) createList(ctx context.Context, tx Tx, now time.Time) (StatusListRecord, error) {
	n, err := tx.CountStatusLists(ctx)
	if err != nil {
		return StatusListRecord{}, err
	}
	list, err := statuslist.New(listBits, s.listSize)
	if err != nil {
		return StatusListRecord{}, err
	}
	z, err := list.Encode()
	if err != nil {
		return StatusListRecord{}, err
	}
	id := strconv.Itoa(n + 1)
	l := StatusListRecord{ID: id, URI: strings.TrimRight(s.settings.Program.IssuerURL, "/") + StatusPath + id,
		Bits: listBits, Size: list.Len(), Compressed: z, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := tx.InsertStatusList(ctx, l); err != nil {
		return StatusListRecord{}, retryable(err)
	}
	return l, nil
}

// setListEntry sets entry idx of list id to v in the transaction.
func (s *Service) setListEntry(ctx context.Context, tx Tx, id string, idx int, v statuslist.Status, now time.Time) error {
	l, err := tx.StatusListForUpdate(ctx, id)
	if err != nil {
		return err
	}
	list, err := statuslist.Decode(l.Compressed, l.Bits, l.Size)
	if err != nil {
		return fmt.Errorf("status list %s: %w", id, err)
	}
	if err := list.Set(idx, v); err != nil {
		return fmt.Errorf("status list %s: %w", id, err)
	}
	if l.Compressed, err = list.Encode(); err != nil {
		return err
	}
	if err := tx.UpdateStatusList(ctx, l, now); err != nil {
		return retryable(err)
	}
	return nil
}

// Slot is a card's entry in a status list.
type Slot struct {
	ListID string
	Index  int
}

// ListWriter is the part of a transaction that rewrites status lists.
type ListWriter interface {
	StatusListForUpdate(ctx context.Context, id string) (StatusListRecord, error)
	UpdateStatusList(ctx context.Context, l StatusListRecord, at time.Time) error
}

// RetireSlots marks the entries of cards about to be erased as invalid, in
// the transaction that erases them. A purge deletes the card rows, so
// without this a printed card that was never collected (and should have been
// destroyed) would keep verifying as valid until its expiry, and its entry
// could be drawn for a new card; allocate never draws an entry that is not
// valid. One read and one write per list, however many cards.
func RetireSlots(ctx context.Context, tx ListWriter, slots []Slot, at time.Time) error {
	byList := map[string][]int{}
	var order []string
	for _, sl := range slots {
		if sl.ListID == "" {
			continue
		}
		if _, ok := byList[sl.ListID]; !ok {
			order = append(order, sl.ListID)
		}
		byList[sl.ListID] = append(byList[sl.ListID], sl.Index)
	}
	for _, id := range order {
		l, err := tx.StatusListForUpdate(ctx, id)
		if err != nil {
			return fmt.Errorf("retire status entries: %w", err)
		}
		list, err := statuslist.Decode(l.Compressed, l.Bits, l.Size)
		if err != nil {
			return fmt.Errorf("status list %s: %w", id, err)
		}
		for _, idx := range byList[id] {
			if err := list.Set(idx, statuslist.Invalid); err != nil {
				return fmt.Errorf("status list %s: %w", id, err)
			}
		}
		if l.Compressed, err = list.Encode(); err != nil {
			return err
		}
		if err := tx.UpdateStatusList(ctx, l, at); err != nil {
			return retryable(err)
		}
	}
	return nil
}

// localStatus is a verify.StatusSource that reads the lists from the
// database directly: the server verifying a card never fetches its own
// lists over HTTP.
type localStatus struct{ db Store }

func (l localStatus) Status(ctx context.Context, uri string, idx int) (statuslist.Status, error) {
	row, err := l.db.StatusListByURI(ctx, uri)
	if err != nil {
		return 0, err
	}
	list, err := statuslist.Decode(row.Compressed, row.Bits, row.Size)
	if err != nil {
		return 0, err
	}
	return list.Get(idx)
}

// Signed status lists are cached per list version and format, and signed
// again when the list changes or half their ttl has passed.
type tokenKey struct{ list, format string }

type signedList struct {
	version  int64
	signedAt time.Time
	resp     statuslist.Response
}

// listValidity is the exp of a served token: long enough that a verifier
// offline for a day still has a usable list, short enough that a stale
// copy cannot be replayed for long.
const listValidity = 24 * time.Hour

// StatusList returns the signed list id in format (statuslist.JWTContentType
// or statuslist.CWTType), ready to serve.
func (s *Service) StatusList(ctx context.Context, id, format string) (statuslist.Response, error) {
	row, err := s.db.StatusList(ctx, id)
	if errors.Is(err, errs.ErrNotFound) {
		return statuslist.Response{}, fmt.Errorf("%w: %w", errs.ErrNotFound, err)
	}
	if err != nil {
		return statuslist.Response{}, err
	}
	now := s.now()
	k := tokenKey{id, format}
	s.mu.Lock()
	c, ok := s.tokens[k]
	s.mu.Unlock()
	if ok && c.version == row.Version && now.Sub(c.signedAt) < s.ttl/2 {
		c.resp.Now = s.now
		return c.resp, nil
	}
	list, err := statuslist.Decode(row.Compressed, row.Bits, row.Size)
	if err != nil {
		return statuslist.Response{}, fmt.Errorf("status list %s: %w", id, err)
	}
	signer, err := s.keys.Active()
	if err != nil {
		return statuslist.Response{}, err
	}
	bound := signing.Bind(signer, s.rand)
	iat := now.Truncate(time.Second)
	meta := statuslist.Meta{URI: row.URI, KeyID: signer.KeyID(), IssuedAt: iat, Expires: iat.Add(listValidity), TTL: s.ttl}
	var resp statuslist.Response
	switch format {
	case statuslist.CWTType:
		tok, err := statuslist.SignCWT(list, row.URI, iat, meta.Expires, s.ttl, bound)
		if err != nil {
			return statuslist.Response{}, err
		}
		resp = statuslist.NewCWTResponse(tok, meta)
	default:
		tok, err := statuslist.SignJWT(list, row.URI, iat, meta.Expires, s.ttl, bound)
		if err != nil {
			return statuslist.Response{}, err
		}
		resp = statuslist.NewJWTResponse(tok, meta)
	}
	resp.Now = s.now
	s.mu.Lock()
	s.tokens[k] = signedList{version: row.Version, signedAt: now, resp: resp}
	s.mu.Unlock()
	return resp, nil
}

// StatusListHandler serves GET {prefix}/{id} (mount it at StatusPath, e.g.
// "GET /status/{id}"): the signed list as statuslist+jwt, or statuslist+cwt
// when the Accept header asks for it or the path ends in ".cwt". Responses
// are public and cacheable for the list's ttl, with an ETag.
func (s *Service) StatusListHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		id := path.Base(r.URL.Path)
		format := statuslist.PreferredType(r.Header.Get("Accept"))
		if base, ok := strings.CutSuffix(id, ".cwt"); ok {
			id, format = base, statuslist.CWTType
		} else if base, ok := strings.CutSuffix(id, ".jwt"); ok {
			id, format = base, statuslist.JWTContentType
		}
		if !validListID(id) {
			http.NotFound(w, r)
			return
		}
		resp, err := s.StatusList(r.Context(), id, format)
		if errors.Is(err, errs.ErrNotFound) {
			http.NotFound(w, r)
			return
		}
		if err != nil {
			http.Error(w, "status list unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Vary", "Accept")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		resp.ServeHTTP(w, r)
	})
}

func validListID(id string) bool {
	if id == "" || len(id) > 12 {
		return false
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// keysTTL is how long the published key sets may be cached.
const keysTTL = time.Hour

// JWKSHandler serves the public signing keys as a JWK set (mount at
// "GET /.well-known/jwks.json").
func (s *Service) JWKSHandler() http.Handler {
	return s.keysHandler("application/jwk-set+json", (*signing.KeySet).MarshalJWKS)
}

// COSEKeysHandler serves the public signing keys as a CBOR array of
// COSE_Key (mount at "GET /.well-known/cose-keys").
func (s *Service) COSEKeysHandler() http.Handler {
	return s.keysHandler("application/cbor", (*signing.KeySet).MarshalCOSE)
}

func (s *Service) keysHandler(contentType string, marshal func(*signing.KeySet) ([]byte, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		set, err := s.keys.Published()
		if err != nil {
			http.Error(w, "keys unavailable", http.StatusServiceUnavailable)
			return
		}
		body, err := marshal(set)
		if err != nil {
			http.Error(w, "keys unavailable", http.StatusServiceUnavailable)
			return
		}
		sum := sha256.Sum256(body)
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(keysTTL/time.Second)))
		h.Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Access-Control-Allow-Origin", "*")
		http.ServeContent(w, r, "", time.Time{}, strings.NewReader(string(body)))
	})
}

// StatusListIDs returns the ids of every status list, oldest first.
func (s *Service) StatusListIDs(ctx context.Context) ([]string, error) {
	lists, err := s.db.StatusLists(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(lists))
	for i, l := range lists {
		ids[i] = l.ID
	}
	return ids, nil
}
