package web

import (
	"net/http"
	"time"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/oid4vci"
)

// phoneView is the "Add to phone" page: the offer's QR and, beside it, the
// transaction code the resident types into the wallet. Both are shown once:
// the page is the answer to the clerk's POST and is never cached.
type phoneView struct {
	C       card.Card
	QR      []byte
	URI     string
	TxCode  string
	Expires time.Time
	Minutes int
}

// cardPhone makes an OpenID4VCI offer for the card at the desk.
func (s *Server) cardPhone(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	o, err := s.svc.Cards.OfferPhone(r.Context(), c.Actor, id)
	if err != nil {
		return s.cardFormError(w, r, c, id, "phone", err)
	}
	cd, err := s.svc.Cards.Get(r.Context(), o.CardID)
	if err != nil {
		return err
	}
	uri := oid4vci.OfferURI(s.svc.Settings.Program.IssuerURL, o.Code, c.P.T("phone.tx.description"))
	qr, err := auth.EnrollmentQR(uri) // any URI: a QR with the quiet zone scanners need
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	p := s.newPage(r, c, "phone.desk.title")
	p.Data = phoneView{C: cd, QR: qr, URI: uri, TxCode: o.TxCode, Expires: o.ExpiresAt, Minutes: int(card.PhoneOfferTTL / time.Minute)}
	return s.views.render(w, http.StatusOK, "phone", "layout", p)
}
