package intake

import (
	"context"
	"crypto/ecdh"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/field/packet"
	"github.com/cityid/cityid/internal/field/wire"
	"github.com/cityid/cityid/internal/vault"
)

// KeyMeta names the meta row holding the city's packet keys. Like the
// audit checkpoint key it lives in the database (several app servers open
// packets with the same key), each private key sealed by a data key
// wrapped by the master key: a copy of the database alone opens no packet,
// and a master-key rotation rewraps it (package masterkey).
const KeyMeta = "field_packet_keys"

// keyRecord is the JSON stored under KeyMeta. The first key is current;
// the others are retired and kept to open packets sealed before a rotation.
type keyRecord struct {
	KEKID   string      `json:"kek_id"`
	Wrapped []byte      `json:"wrapped"` // data key, wrapped by the master key
	Keys    []packetKey `json:"keys"`
}

type packetKey struct {
	ID        string    `json:"id"`
	Public    []byte    `json:"public"` // X25519
	Sealed    []byte    `json:"sealed"` // private key, sealed by the data key
	CreatedAt time.Time `json:"created_at"`
	RetiredAt time.Time `json:"retired_at,omitzero"`
}

func keyBinding(id string) vault.Binding {
	return vault.Binding{Table: "meta", Column: "value", Row: KeyMeta + "/" + id}
}

// newPacketKey draws an X25519 key pair and seals its private half.
func (s *Service) newPacketKey(dk vault.DataKey, now time.Time) (packetKey, error) {
	priv, err := ecdh.X25519().GenerateKey(s.rand)
	if err != nil {
		return packetKey{}, fmt.Errorf("packet key: %w", err)
	}
	id := packet.KeyID(priv.PublicKey())
	sealed, err := dk.Seal(keyBinding(id), priv.Bytes())
	if err != nil {
		return packetKey{}, err
	}
	return packetKey{ID: id, Public: priv.PublicKey().Bytes(), Sealed: sealed, CreatedAt: now}, nil
}

func (s *Service) loadKeys(ctx context.Context) (keyRecord, error) {
	raw, err := s.db.Meta(ctx, KeyMeta)
	if err != nil {
		return keyRecord{}, err
	}
	var rec keyRecord
	if err := json.Unmarshal(raw, &rec); err != nil || len(rec.Keys) == 0 {
		return keyRecord{}, fmt.Errorf("field packet key record: %w", errors.Join(err, errors.New("no key")))
	}
	return rec, nil
}

// keys returns the key record, creating the first key on first use. Two
// servers creating it at once agree on whichever record was stored first.
func (s *Service) keys(ctx context.Context) (keyRecord, error) {
	rec, err := s.loadKeys(ctx)
	if !errors.Is(err, errs.ErrNotFound) {
		return rec, err
	}
	dk, wrapped, err := s.vault.NewDataKey()
	if err != nil {
		return keyRecord{}, err
	}
	defer dk.Destroy()
	k, err := s.newPacketKey(dk, s.now().UTC())
	if err != nil {
		return keyRecord{}, err
	}
	raw, err := json.Marshal(keyRecord{KEKID: s.vault.KEKID(), Wrapped: wrapped, Keys: []packetKey{k}})
	if err != nil {
		return keyRecord{}, err
	}
	err = s.db.InTx(ctx, func(tx Tx) error {
		stored, err := tx.SetMetaIfAbsent(ctx, KeyMeta, raw)
		if err != nil {
			return err
		}
		if string(stored) == string(raw) {
			return tx.AppendAudit(ctx, audit.Event{At: k.CreatedAt, Actor: auth.System().StaffID, Action: "field.key.create", RecordType: "field_packet_key", RecordID: k.ID})
		}
		return nil
	})
	if err != nil {
		return keyRecord{}, err
	}
	return s.loadKeys(ctx)
}

// CurrentKey is the public key stations seal new packets to.
func (s *Service) CurrentKey(ctx context.Context) (wire.PacketKey, error) {
	rec, err := s.keys(ctx)
	if err != nil {
		return wire.PacketKey{}, err
	}
	return wire.PacketKey{ID: rec.Keys[0].ID, PublicKey: rec.Keys[0].Public}, nil
}

// RotateKey makes a new current packet key. The old one is retired but
// kept, so packets sealed to it before the stations fetched the new key
// still open; retired keys older than Options.RetiredKeyDays are dropped
// here (a packet sealed to one then is quarantined as unknown_key).
// Administrators only; audited.
func (s *Service) RotateKey(ctx context.Context, by auth.Actor) (wire.PacketKey, error) {
	if !by.Can(auth.RoleAdmin) {
		return wire.PacketKey{}, fmt.Errorf("rotate the field packet key: %w", errs.ErrForbidden)
	}
	if _, err := s.keys(ctx); err != nil {
		return wire.PacketKey{}, err
	}
	var out wire.PacketKey
	err := s.db.InTx(ctx, func(tx Tx) error {
		rec, err := s.loadKeys(ctx)
		if err != nil {
			return err
		}
		dk, err := s.vault.OpenDataKey(rec.Wrapped)
		if err != nil {
			return fmt.Errorf("field packet keys: %w", err)
		}
		defer dk.Destroy()
		now := s.now().UTC()
		k, err := s.newPacketKey(dk, now)
		if err != nil {
			return err
		}
		keep := []packetKey{k}
		for i, old := range rec.Keys {
			if i == 0 {
				old.RetiredAt = now
			}
			if now.Sub(old.RetiredAt) <= s.opt.retiredKeyKeep() {
				keep = append(keep, old)
			}
		}
		rec.Keys = keep
		raw, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		if err := tx.SetMeta(ctx, KeyMeta, raw); err != nil {
			return err
		}
		out = wire.PacketKey{ID: k.ID, PublicKey: k.Public}
		return tx.AppendAudit(ctx, audit.Event{At: now, Actor: by.StaffID, Action: "field.key.rotate", RecordType: "field_packet_key", RecordID: k.ID})
	})
	return out, err
}

// privateKey opens the kept private key named id (packet.KeyID).
func (s *Service) privateKey(ctx context.Context, id string) (*ecdh.PrivateKey, error) {
	rec, err := s.keys(ctx)
	if err != nil {
		return nil, err
	}
	for _, k := range rec.Keys {
		if k.ID != id {
			continue
		}
		dk, err := s.vault.OpenDataKey(rec.Wrapped)
		if err != nil {
			return nil, fmt.Errorf("field packet keys: %w", err)
		}
		defer dk.Destroy()
		raw, err := dk.Open(keyBinding(k.ID), k.Sealed)
		if err != nil {
			return nil, fmt.Errorf("field packet key %s: %w", k.ID, err)
		}
		return ecdh.X25519().NewPrivateKey(raw)
	}
	return nil, fmt.Errorf("field packet key %q: %w", id, errs.ErrNotFound)
}
