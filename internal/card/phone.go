package card

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/credential/municipalid"
	"github.com/cityid/cityid/internal/credential/sdjwt"
	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/credential/statuslist"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/randid"
)

// The phone credential (issue 14): an OpenID4VCI pre-authorized offer made
// at the desk, redeemed by the resident's wallet with the transaction code
// shown beside the QR, for a batch of SD-JWT VCs each with its own entry in
// the card's status lists.
const (
	// PhoneOfferTTL is how long an offer (its QR and code) can be redeemed.
	PhoneOfferTTL = 15 * time.Minute
	// PhoneTokenTTL is how long the access token lets the wallet fetch the credentials.
	PhoneTokenTTL = 5 * time.Minute
	// PhoneTxAttempts is how many wrong transaction codes kill an offer.
	PhoneTxAttempts = 5
	// PhoneTxDigits is the length of the numeric transaction code.
	PhoneTxDigits = 6
	// PhoneBatch is the most credentials one wallet receives at once (one
	// per proof of a distinct key), so it can show a fresh one to each
	// verifier: see docs/credentials.md.
	PhoneBatch = 10
)

// Errors of the phone issuance flow; the OpenID4VCI endpoints map them to
// OAuth error codes.
var (
	ErrOfferUnknown = errors.New("card: the pre-authorized code is unknown, expired or already used")
	ErrTxCode       = errors.New("card: wrong transaction code")
	ErrTxLocked     = errors.New("card: too many wrong transaction codes; ask for a new QR at the desk")
	ErrAccessToken  = errors.New("card: the access token is unknown, expired or already used")
	ErrPhoneBatch   = fmt.Errorf("card: send 1 to %d holder keys", PhoneBatch)
)

// PhoneOfferRecord is an offer as stored: hashes only.
type PhoneOfferRecord struct {
	ID, CardID       string
	CodeHash, TxHash string
	TxAttempts       int
	ExpiresAt        time.Time
	RedeemedAt       time.Time
	TokenHash        string
	TokenExpiresAt   time.Time
	IssuedAt         time.Time
	CreatedBy        string
	CreatedAt        time.Time
}

// PhoneCredentialRecord is one issued phone credential's status entry.
type PhoneCredentialRecord struct {
	ID, CardID, OfferID string
	StatusListID        string
	StatusIndex         int
	IssuedAt, ExpiresAt time.Time
	RevokedAt           time.Time
}

// OfferKey says which hash PhoneOfferForUpdate looks an offer up by.
type OfferKey int

// Offer lookups.
const (
	ByCode OfferKey = iota
	ByToken
)

// PhoneTx is the part of a transaction the phone flow needs.
type PhoneTx interface {
	InsertPhoneOffer(ctx context.Context, o PhoneOfferRecord) error
	// PhoneOfferForUpdate: errs.ErrNotFound when no offer has the hash.
	PhoneOfferForUpdate(ctx context.Context, by OfferKey, hash string) (PhoneOfferRecord, error)
	UpdatePhoneOffer(ctx context.Context, o PhoneOfferRecord) error
	InsertPhoneCredential(ctx context.Context, c PhoneCredentialRecord) error
	// PhoneCredentials lists a card's phone credentials not yet revoked.
	PhoneCredentials(ctx context.Context, cardID string) ([]PhoneCredentialRecord, error)
	RevokePhoneCredential(ctx context.Context, id string, at time.Time) error
	// DeleteExpiredPhoneOffers deletes offers past both their expiry and
	// their token's, and says how many.
	DeleteExpiredPhoneOffers(ctx context.Context, now time.Time) (int, error)
}

// PhoneOffer is a new offer: the secrets exist only here, to be shown to
// the resident once.
type PhoneOffer struct {
	ID, CardID string
	// Code is the pre-authorized code the QR carries.
	Code string
	// TxCode is the transaction code shown beside the QR, never in it.
	TxCode    string
	ExpiresAt time.Time
}

func hashSecret(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// OfferPhone makes an offer for card id at the desk: a clerk of the card's
// site or a supervisor, while the card is active and its holder's record
// still readable at the desk (until the reprint grace period after hand-over
// ends; in "no list" mode the names are gone after it).
func (s *Service) OfferPhone(ctx context.Context, by auth.Actor, id string) (PhoneOffer, error) {
	if !by.Can(auth.RoleSupervisor, auth.RoleClerk) {
		return PhoneOffer{}, s.deny(ctx, by, "card.phone_offer", id, errs.ErrForbidden)
	}
	c, err := s.Visible(ctx, by, id)
	if err != nil {
		return PhoneOffer{}, err
	}
	now := s.now().UTC()
	if !s.PhoneOfferOpen(c) {
		return PhoneOffer{}, fmt.Errorf("card %s (%s): phone credentials are offered with an active card at hand-over: %w", c.ID, c.Status, ErrState)
	}
	code, err := randid.New(s.rand, "pac")
	if err != nil {
		return PhoneOffer{}, err
	}
	n, err := randInt(s.rand, 1_000_000)
	if err != nil {
		return PhoneOffer{}, err
	}
	o := PhoneOffer{CardID: c.ID, Code: code, TxCode: fmt.Sprintf("%0*d", PhoneTxDigits, n), ExpiresAt: now.Add(PhoneOfferTTL)}
	if o.ID, err = randid.New(s.rand, "pof"); err != nil {
		return PhoneOffer{}, err
	}
	err = s.inTx(ctx, func(tx Tx) error {
		if err := tx.InsertPhoneOffer(ctx, PhoneOfferRecord{ID: o.ID, CardID: c.ID, CodeHash: hashSecret(code),
			TxHash: hashSecret(code, o.TxCode), ExpiresAt: o.ExpiresAt, CreatedBy: by.StaffID, CreatedAt: now}); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event{At: now, Actor: by.StaffID, Action: "card.phone_offer", RecordType: "card", RecordID: c.ID})
	})
	if err != nil {
		return PhoneOffer{}, err
	}
	return o, nil
}

func randInt(r interface{ Read([]byte) (int, error) }, n int64) (int64, error) {
	var b [8]byte
	for {
		if _, err := r.Read(b[:]); err != nil {
			return 0, fmt.Errorf("random: %w", err)
		}
		v := new(big.Int).SetBytes(b[:]).Uint64() >> 1
		// Reject the top partial range so every code is equally likely.
		if limit := (uint64(1) << 63) / uint64(n) * uint64(n); v < limit {
			return int64(v % uint64(n)), nil
		}
	}
}

// PhoneToken is an access token for the credential endpoint.
type PhoneToken struct {
	Token     string
	ExpiresAt time.Time
}

// RedeemPhoneOffer exchanges a pre-authorized code and its transaction code
// for an access token, once. A wrong transaction code counts against the
// offer, which dies after PhoneTxAttempts.
func (s *Service) RedeemPhoneOffer(ctx context.Context, code, txCode string) (PhoneToken, error) {
	var out PhoneToken
	var wrong bool
	err := s.inTx(ctx, func(tx Tx) error {
		wrong = false
		now := s.now().UTC()
		o, err := tx.PhoneOfferForUpdate(ctx, ByCode, hashSecret(code))
		if errors.Is(err, errs.ErrNotFound) {
			return ErrOfferUnknown
		}
		if err != nil {
			return err
		}
		if !now.Before(o.ExpiresAt) || !o.RedeemedAt.IsZero() {
			return ErrOfferUnknown
		}
		if o.TxAttempts >= PhoneTxAttempts {
			return ErrTxLocked
		}
		if subtle.ConstantTimeCompare([]byte(hashSecret(code, txCode)), []byte(o.TxHash)) != 1 {
			o.TxAttempts++
			wrong = true // committed: the attempt counts
			return tx.UpdatePhoneOffer(ctx, o)
		}
		c, err := tx.Card(ctx, o.CardID)
		if err != nil {
			return err
		}
		if c.Status != StatusActive {
			return fmt.Errorf("card %s is %s: %w", c.ID, c.Status, ErrState)
		}
		token, err := randid.New(s.rand, "pat")
		if err != nil {
			return err
		}
		o.RedeemedAt, o.TokenHash, o.TokenExpiresAt = now, hashSecret(token), now.Add(PhoneTokenTTL)
		out = PhoneToken{Token: token, ExpiresAt: o.TokenExpiresAt}
		return tx.UpdatePhoneOffer(ctx, o)
	})
	if err == nil && wrong {
		return PhoneToken{}, ErrTxCode
	}
	return out, err
}

// walletActor reads the holder's record for the credential. The wallet is
// anonymous; it acts on the offer a clerk made at the desk minutes before
// (OfferPhone checked that clerk's site and the card's window), so it reads
// with the desk's reach and purpose, and the audit log names it "wallet".
var walletActor = auth.Actor{StaffID: "wallet", Username: "wallet", Role: auth.RoleSupervisor}

// IssuePhone issues one SD-JWT VC per holder key to the wallet holding
// token, once. Issuing revokes the card's earlier phone credentials (a
// "new phone"), and every new credential gets its own status-list entry.
func (s *Service) IssuePhone(ctx context.Context, token string, holders []crypto.PublicKey) ([]string, error) {
	if len(holders) == 0 || len(holders) > PhoneBatch {
		return nil, ErrPhoneBatch
	}
	now := s.now().UTC()
	// Find the offer first (without using it) so the holder's record is
	// read only for a live token.
	var cardID string
	if err := s.inTx(ctx, func(tx Tx) error {
		o, err := s.liveToken(ctx, tx, token, now)
		cardID = o.CardID
		return err
	}); err != nil {
		return nil, err
	}
	c, app, err := s.open(ctx, walletActor, cardID, enroll.PurposeHandOver)
	if err != nil {
		return nil, err
	}
	iat, exp := municipalid.Window(now, c.ExpiresOn)
	if !exp.After(now) {
		return nil, fmt.Errorf("card %s expires this month; renew it first: %w", c.ID, ErrState)
	}
	signer, err := s.keys.Active()
	if err != nil {
		return nil, err
	}
	issuer := strings.TrimRight(s.settings.Program.IssuerURL, "/")
	claims := municipalid.Claims(municipalid.Holder{Person: app.Person, City: s.settings.Program.City,
		CardExpires: c.ExpiresOn, Today: person.DateOf(now.In(s.loc))})
	var out []string
	err = s.inTx(ctx, func(tx Tx) error {
		out = out[:0]
		o, err := s.liveToken(ctx, tx, token, now)
		if err != nil {
			return err
		}
		row, err := s.cardInTx(ctx, tx, o.CardID)
		if err != nil {
			return err
		}
		if row.Status != StatusActive {
			return fmt.Errorf("card %s is %s: %w", row.ID, row.Status, ErrState)
		}
		if err := s.setPhoneEntries(ctx, tx, row.ID, statuslist.Invalid, now); err != nil {
			return err
		}
		for _, h := range holders {
			listID, idx, err := s.allocate(ctx, tx, now)
			if err != nil {
				return err
			}
			l, err := tx.StatusListForUpdate(ctx, listID)
			if err != nil {
				return err
			}
			cred, err := sdjwt.Issue(s.rand, signing.Bind(signer, s.rand), sdjwt.Issuance{
				Issuer: issuer, VCT: municipalid.VCT(issuer), IssuedAt: iat, Expires: exp, Holder: h,
				Status: &sdjwt.StatusRef{URI: l.URI, Index: idx}, Claims: claims, Pad: municipalid.Pad})
			if err != nil {
				return err
			}
			id, err := randid.New(s.rand, "pcr")
			if err != nil {
				return err
			}
			if err := tx.InsertPhoneCredential(ctx, PhoneCredentialRecord{ID: id, CardID: row.ID, OfferID: o.ID,
				StatusListID: listID, StatusIndex: idx, IssuedAt: now, ExpiresAt: exp}); err != nil {
				return retryable(err)
			}
			out = append(out, cred.String())
		}
		o.IssuedAt = now
		if err := tx.UpdatePhoneOffer(ctx, o); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event{At: now, Actor: walletActor.StaffID, Action: "card.phone_issue", RecordType: "card", RecordID: row.ID})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// liveToken finds the offer an unexpired, unused access token belongs to.
func (s *Service) liveToken(ctx context.Context, tx Tx, token string, now time.Time) (PhoneOfferRecord, error) {
	o, err := tx.PhoneOfferForUpdate(ctx, ByToken, hashSecret(token))
	if errors.Is(err, errs.ErrNotFound) {
		return PhoneOfferRecord{}, ErrAccessToken
	}
	if err != nil {
		return PhoneOfferRecord{}, err
	}
	if !now.Before(o.TokenExpiresAt) || !o.IssuedAt.IsZero() {
		return PhoneOfferRecord{}, ErrAccessToken
	}
	return o, nil
}

// setPhoneEntries gives the card's live phone credentials status v, one
// read and write per list, lists in id order; with revoke they are also
// marked revoked for good (a reinstated card does not bring them back).
func (s *Service) setPhoneEntries(ctx context.Context, tx Tx, cardID string, v statuslist.Status, now time.Time) error {
	creds, err := tx.PhoneCredentials(ctx, cardID)
	if err != nil || len(creds) == 0 {
		return err
	}
	slices.SortFunc(creds, func(a, b PhoneCredentialRecord) int { return strings.Compare(a.StatusListID, b.StatusListID) })
	for _, c := range creds {
		if err := s.setListEntry(ctx, tx, c.StatusListID, c.StatusIndex, v, now); err != nil {
			return err
		}
		if v == statuslist.Invalid {
			if err := tx.RevokePhoneCredential(ctx, c.ID, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// SigningAlgorithm is the JOSE algorithm of the active signing key ("ES256"
// when it cannot be read), for the issuer metadata.
func (s *Service) SigningAlgorithm() string {
	if k, err := s.keys.Active(); err == nil {
		return k.Algorithm()
	}
	return "ES256"
}

// PhoneOfferOpen reports whether the desk may offer c to a phone now: an
// active, printed card whose holder's record the desk can still read.
func (s *Service) PhoneOfferOpen(c Card) bool {
	return c.Status == StatusActive && !c.PrintedAt.IsZero() && s.reprintAllowed(c, s.now().UTC())
}

// PrunePhoneOffers deletes offers whose code and token have both expired,
// used or not (the credentials they issued are in phone_credentials).
func (s *Service) PrunePhoneOffers(ctx context.Context) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx Tx) error {
		var err error
		n, err = tx.DeleteExpiredPhoneOffers(ctx, s.now().UTC())
		return err
	})
	return n, err
}

// PhoneStatus says how many phone credentials of card id are live and when
// the newest was issued (no personal data: the desk shows it beside "Add to
// phone", which would replace them).
func (s *Service) PhoneStatus(ctx context.Context, id string) (int, time.Time, error) {
	return s.db.LivePhoneCredentials(ctx, id)
}
