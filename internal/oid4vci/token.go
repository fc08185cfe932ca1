package oid4vci

import (
	"errors"
	"net/http"
	"time"

	"github.com/cityid/cityid/internal/card"
)

// token exchanges a pre-authorized code and its transaction code for an
// access token (RFC 6749 §5 responses).
func (h *Handler) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		h.refuse(w, r, fail(http.StatusBadRequest, "invalid_request", "phone.error.form", err))
		return
	}
	if g := r.PostForm.Get("grant_type"); g != PreAuthGrant {
		h.refuse(w, r, fail(http.StatusBadRequest, "unsupported_grant_type", "phone.error.grant_type", nil))
		return
	}
	code, tx := r.PostForm.Get("pre-authorized_code"), r.PostForm.Get("tx_code")
	if code == "" || tx == "" {
		h.refuse(w, r, fail(http.StatusBadRequest, "invalid_request", "phone.error.code_missing", nil))
		return
	}
	tok, err := h.c.Issuer.RedeemPhoneOffer(r.Context(), code, tx)
	switch {
	case errors.Is(err, card.ErrOfferUnknown):
		h.refuse(w, r, fail(http.StatusBadRequest, "invalid_grant", "phone.error.code_unknown", err))
		return
	case errors.Is(err, card.ErrTxCode):
		h.refuse(w, r, fail(http.StatusBadRequest, "invalid_grant", "phone.error.tx_code", err))
		return
	case errors.Is(err, card.ErrTxLocked):
		h.refuse(w, r, fail(http.StatusBadRequest, "invalid_grant", "phone.error.tx_locked", err))
		return
	case errors.Is(err, card.ErrState):
		h.refuse(w, r, fail(http.StatusBadRequest, "invalid_grant", "phone.error.card_state", err))
		return
	case err != nil:
		h.refuse(w, r, fail(http.StatusInternalServerError, "server_error", "phone.error.server", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok.Token,
		"token_type":   "Bearer",
		"expires_in":   int(tok.ExpiresAt.Sub(h.c.Now()).Round(time.Second) / time.Second),
	})
}
