package card

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/card/render"
	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/credential/aamva"
	"github.com/cityid/cityid/internal/credential/claim169"
	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/person"
)

// langs returns the (up to) two languages printed on the card.
func langs(s config.Settings) []string {
	l := s.Program.Languages
	if len(l) == 0 {
		return []string{"en"}
	}
	return l[:min(len(l), 2)]
}

// bilingual joins the translations of key in the card's languages: "Sex / Sexo".
func bilingual(tr Translator, s config.Settings, key string, args ...any) string {
	var parts []string
	for _, l := range langs(s) {
		if t := tr.T(l, key, args...); !slices.Contains(parts, t) {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, " / ")
}

// VerifyURL is where a person holding a card can check it.
func VerifyURL(s config.Settings) string {
	return strings.TrimRight(s.Program.IssuerURL, "/") + "/verify"
}

func styleFor(s config.Settings, tr Translator, seal []byte) (render.Style, error) {
	primary, err := render.ParseColor(s.Card.PrimaryColor)
	if err != nil {
		return render.Style{}, fmt.Errorf("card.primary_color: %w", err)
	}
	accent, err := render.ParseColor(s.Card.AccentColor)
	if err != nil {
		return render.Style{}, fmt.Errorf("card.accent_color: %w", err)
	}
	st := render.Style{City: s.Program.City, Primary: primary, Accent: accent, Seal: seal}
	for _, l := range langs(s) {
		if t := s.Program.Title[l]; t != "" {
			st.Titles = append(st.Titles, t)
		}
		st.BackLines = append(st.BackLines, tr.T(l, "card.back.property", "city", s.Program.City))
	}
	st.BackLines = append(st.BackLines, bilingual(tr, s, "card.back.verify")+": "+VerifyURL(s))
	return st, nil
}

// printed reports whether the program offers field to be printed.
func (s *Service) printed(field string) bool {
	return slices.Contains(s.settings.Card.PrintedFields, field)
}

func formatAddress(a person.Address) string {
	var parts []string
	if a.CareOf != "" {
		parts = append(parts, "C/O "+a.CareOf)
	}
	for _, p := range []string{a.Line1, a.Line2, a.City} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	last := strings.TrimSpace(a.State + " " + a.PostalCode)
	if last != "" {
		parts = append(parts, last)
	}
	return strings.Join(parts, ", ")
}

// iso6393 maps the program's language codes to the ISO 639-3 codes Claim 169 uses.
var iso6393 = map[string]string{"en": "eng", "es": "spa", "fr": "fra", "pt": "por", "zh": "zho", "ar": "ara", "ht": "hat", "vi": "vie", "ko": "kor", "ru": "rus"}

// artwork builds what is printed on c for the holder in app, signing the
// QR with signer. The QR and the PDF417 carry exactly what the front shows.
func (s *Service) artwork(ctx context.Context, app *enroll.Application, c Card, signer signing.Signer) (render.Card, error) {
	rc, _, err := s.artworkPayload(ctx, app, c, signer)
	return rc, err
}

// artworkPayload is artwork that also returns the signed QR payload.
func (s *Service) artworkPayload(ctx context.Context, app *enroll.Application, c Card, signer signing.Signer) (render.Card, string, error) {
	p := app.Person
	date := func(d person.Date) string { return cardDate(s.tr, s.settings, d) }
	rc := render.Card{
		Surnames: p.Surnames(), GivenNames: p.GivenNames, PhotoJPEG: app.Photo,
		Number: c.Number.String(), NumberLabel: bilingual(s.tr, s.settings, "card.label.number"),
		Fields: []render.Field{
			{Label: bilingual(s.tr, s.settings, "card.label.date_of_birth"), Value: date(p.DateOfBirth)},
			{Label: bilingual(s.tr, s.settings, "card.label.expires"), Value: date(c.ExpiresOn)},
			{Label: bilingual(s.tr, s.settings, "card.label.issued"), Value: date(c.IssuedOn)},
		},
	}
	claims := claim169.Claims{ID: c.Number.Compact(), FullName: p.FullName(), FirstName: p.GivenNames,
		LastName: p.Surnames(), DateOfBirth: strings.ReplaceAll(p.DateOfBirth.String(), "-", ""), Language: iso6393[p.Language]}
	rec := aamva.Record{FamilyName: p.Surnames(), BirthDate: p.DateOfBirth, IssueDate: c.IssuedOn, ExpiryDate: c.ExpiresOn,
		IDNumber: c.Number.Compact(), DocumentDiscriminator: strings.ToUpper(strings.TrimPrefix(c.ID, "crd_")),
		ProgramName: s.settings.Program.Name, NoAddress: true,
		// AAMVA requires a city and state even when no street is printed:
		// the program's own, where every holder lives.
		Address: person.Address{City: s.settings.Program.City, State: s.settings.Program.State}}
	rec.FirstName, rec.MiddleNames, _ = strings.Cut(p.GivenNames, " ")
	if p.PrintSex && p.Sex != person.SexNotShown && s.printed("sex") {
		rc.Fields = append(rc.Fields, render.Field{Label: bilingual(s.tr, s.settings, "card.label.sex"), Value: string(p.Sex)})
		claims.Gender = map[person.Sex]int64{person.SexFemale: claim169.GenderFemale, person.SexMale: claim169.GenderMale, person.SexX: claim169.GenderOther}[p.Sex]
		rec.Sex = p.Sex
	}
	if p.PrintAddress && !p.NoAddress && s.printed("address") {
		addr := formatAddress(p.Address)
		rc.Fields = append(rc.Fields, render.Field{Label: bilingual(s.tr, s.settings, "card.label.address"), Value: addr, Wide: true})
		claims.Address = strings.ReplaceAll(addr, ", ", "\n")
		rec.Address, rec.NoAddress = p.Address, false
	}
	if p.EmergencyContact != "" && s.printed("emergency_contact") {
		rc.Fields = append(rc.Fields, render.Field{Label: bilingual(s.tr, s.settings, "card.label.emergency_contact"), Value: p.EmergencyContact, Wide: true})
	}
	if p.Veteran && s.printed("veteran") {
		rc.Badges = append(rc.Badges, bilingual(s.tr, s.settings, "card.badge.veteran"))
		rec.Veteran = true
	}
	if p.OrganDonor && s.printed("organ_donor") {
		rc.Badges = append(rc.Badges, bilingual(s.tr, s.settings, "card.badge.organ_donor"))
		rec.OrganDonor = true
	}
	if len(app.Photo) > 0 {
		img, err := jpeg.Decode(bytes.NewReader(app.Photo))
		if err != nil {
			return render.Card{}, "", fmt.Errorf("card %s: photo: %w", c.ID, err)
		}
		face, err := claim169.FaceThumbnail(img)
		if err != nil {
			return render.Card{}, "", fmt.Errorf("card %s: %w", c.ID, err)
		}
		claims.Face = claim169.FaceBiometric(face)
	}
	list, err := s.db.StatusList(ctx, c.StatusListID)
	if err != nil {
		return render.Card{}, "", err
	}
	// The card is valid from the start of its printed issue day to the end
	// of its printed expiry day, both in the program's time zone: a card
	// that reads "expires 12 APR 2031" in New Haven still checks as valid
	// at 11 p.m. that evening (midnight UTC would end it at 7 or 8 p.m.).
	from, until := s.dayStart(c.IssuedOn), s.dayStart(c.ExpiresOn).AddDate(0, 0, 1)
	payload, err := claim169.Encode(claims, claim169.Meta{Issuer: s.settings.Program.IssuerURL, IssuedAt: from,
		NotBefore: from, ExpiresAt: until, Status: &claim169.StatusRef{URI: list.URI, Index: int64(c.StatusIndex)}}, signer, s.rand)
	if err != nil {
		return render.Card{}, "", fmt.Errorf("card %s: %w", c.ID, err)
	}
	if rc.QR, _, err = claim169.QRCode(payload); err != nil {
		return render.Card{}, "", fmt.Errorf("card %s: %w", c.ID, err)
	}
	bc, err := aamva.NewBarcode(rec, aamva.Options{IIN: s.settings.Card.AAMVAIIN, JurisdictionVersion: s.settings.Card.AAMVAJurisdictionVersion})
	if err != nil {
		return render.Card{}, "", fmt.Errorf("card %s: %w", c.ID, err)
	}
	rc.PDF417 = bc.Image()
	return rc, payload, nil
}

// cardDate prints d as day, month abbreviation and year in every card
// language ("09 MAR 1984", "14 APR/ABR 2031"): a named month cannot be read
// the wrong way round, while 03/09/1984 is 3 September to a Spanish reader
// and 9 March to an American one.
func cardDate(tr Translator, s config.Settings, d person.Date) string {
	return fmt.Sprintf("%02d %s %04d", d.Day, bilingualShort(tr, s, fmt.Sprintf("card.month.%d", int(d.Month))), d.Year)
}

// bilingualShort joins short translations with "/" and no spaces ("APR/ABR"),
// once when the languages agree ("MAR").
func bilingualShort(tr Translator, s config.Settings, key string) string {
	var parts []string
	for _, l := range langs(s) {
		if t := tr.T(l, key); !slices.Contains(parts, t) {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, "/")
}

// dayStart is midnight at the start of d in the program's time zone.
func (s *Service) dayStart(d person.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, s.loc)
}

// artworks runs artwork for a batch on every CPU: signing, the QR's
// penalty scoring and the face thumbnail cost more than laying out the PDF.
func (s *Service) artworks(ctx context.Context, apps []*enroll.Application, cards []Card, signer signing.Signer) ([]render.Card, error) {
	out := make([]render.Card, len(cards))
	errs := make([]error, len(cards))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(cards)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = s.artwork(ctx, apps[i], cards[i], signer)
			}
		}()
	}
	for i := range cards {
		next <- i
	}
	close(next)
	wg.Wait()
	return out, errors.Join(errs...)
}

// open loads a card and its holder's application (an audited read).
func (s *Service) open(ctx context.Context, by auth.Actor, id string, purpose enroll.Purpose) (Card, *enroll.Application, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return Card{}, nil, err
	}
	app, err := s.apps.Get(ctx, by, c.ApplicationID, purpose)
	if err != nil {
		return Card{}, nil, fmt.Errorf("card %s: %w", c.ID, err)
	}
	return c, app, nil
}

// Sheet is how a batch is laid out; see render.Sheet.
type Sheet = render.Sheet

// Batch layouts.
const (
	CardPages  = render.CardPages
	ProofSheet = render.ProofSheet
)

// reprintAllowed: a card may be printed again until it is handed over and
// for Retention.NoListGraceDays after (the grace period for reprints);
// later the holder needs a replacement.
func (s *Service) reprintAllowed(c Card, now time.Time) bool {
	if c.HandedOverAt.IsZero() {
		return true
	}
	return now.Before(c.HandedOverAt.AddDate(0, 0, s.settings.Retention.NoListGraceDays))
}

// Print renders the cards ids as one PDF and, for card pages, records each
// as printed (audited: "card.print", or "card.reprint" for a card printed
// before). Proof sheets are for checking and record nothing. Only active
// cards print.
func (s *Service) Print(ctx context.Context, by auth.Actor, ids []string, sheet Sheet) ([]byte, error) {
	if !canManage(by) {
		return nil, s.deny(ctx, by, "card.print", strings.Join(ids[:min(len(ids), 1)], ""), errs.ErrForbidden)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("print: no cards")
	}
	signer, err := s.keys.Active()
	if err != nil {
		return nil, fmt.Errorf("print: %w", err)
	}
	now := s.now().UTC()
	cards := make([]Card, 0, len(ids))
	apps := make([]*enroll.Application, 0, len(ids))
	for _, id := range ids {
		// Check before opening the holder's record: a refused print reads nothing.
		c, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if c.Status != StatusActive {
			return nil, fmt.Errorf("card %s is %s: %w", c.ID, c.Status, ErrState)
		}
		if !s.reprintAllowed(c, now) {
			return nil, fmt.Errorf("card %s: %w", c.ID, ErrReprint)
		}
		app, err := s.apps.Get(ctx, by, c.ApplicationID, enroll.PurposePrint)
		if err != nil {
			return nil, fmt.Errorf("card %s: %w", c.ID, err)
		}
		cards, apps = append(cards, c), append(apps, app)
	}
	art, err := s.artworks(ctx, apps, cards, signer)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := s.renderer.PDF(&buf, art, render.PDFOptions{Sheet: sheet, Title: s.settings.Program.Name, Created: now}); err != nil {
		return nil, err
	}
	if sheet == ProofSheet {
		return buf.Bytes(), nil
	}
	err = s.db.InTx(ctx, func(tx Tx) error {
		for _, c := range cards {
			if err := tx.MarkCardPrinted(ctx, c.ID, signer.KeyID(), now); err != nil {
				return err
			}
			action := "card.print"
			if !c.PrintedAt.IsZero() {
				action = "card.reprint"
			}
			if err := tx.AppendAudit(ctx, audit.Event{At: now, Actor: by.StaffID, Action: action, RecordType: "card", RecordID: c.ID}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if fn := s.onPrinted(); fn != nil {
		var first []Card
		for _, c := range cards {
			if c.PrintedAt.IsZero() {
				c.PrintedAt = now
				first = append(first, c)
			}
		}
		if len(first) > 0 {
			fn(ctx, first)
		}
	}
	return buf.Bytes(), nil
}

// OnPrinted sets fn to run after cards are printed for the first time (a
// reprint is not news): the resident site tells holders who asked that
// their card is ready. fn runs after the print is recorded; its failures
// are its own to log.
func (s *Service) OnPrinted(fn func(ctx context.Context, printed []Card)) {
	s.mu.Lock()
	s.onPrint = fn
	s.mu.Unlock()
}

func (s *Service) onPrinted() func(context.Context, []Card) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.onPrint
}

// Side names a card side for previews.
type Side string

// The sides.
const (
	Front Side = "front"
	Back  Side = "back"
)

// Preview renders one side of a card as a 300-dpi PNG (1011 × 638) for
// staff to check before printing, or, once printed, to check the holder at
// the desk before handing it over. Opening the holder's data is audited
// with the purpose of that step (PreviewPurpose).
func (s *Service) Preview(ctx context.Context, by auth.Actor, id string, side Side) ([]byte, error) {
	if !by.Can(auth.RoleSupervisor, auth.RoleClerk) {
		return nil, s.deny(ctx, by, "card.preview", id, errs.ErrForbidden)
	}
	cur, err := s.Visible(ctx, by, id)
	if err != nil {
		return nil, err
	}
	purpose := PreviewPurpose(cur)
	if by.Role == auth.RoleClerk && purpose != enroll.PurposeHandOver {
		// Clerks hand cards over; printing is the supervisors' desk.
		return nil, s.deny(ctx, by, "card.preview", id, errs.ErrForbidden)
	}
	c, app, err := s.open(ctx, by, id, purpose)
	if err != nil {
		return nil, err
	}
	signer, err := s.keys.Active()
	if err != nil {
		return nil, err
	}
	rc, err := s.artwork(ctx, app, c, signer)
	if err != nil {
		return nil, err
	}
	var img image.Image
	if side == Back {
		img, err = s.renderer.BackPNG(rc)
	} else {
		img, err = s.renderer.FrontPNG(rc)
	}
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// PreviewPurpose is why a preview of c opens the holder's record: to check
// the holder at the desk once the card is printed and waiting, otherwise to
// print it.
func PreviewPurpose(c Card) enroll.Purpose {
	if !c.PrintedAt.IsZero() && c.HandedOverAt.IsZero() && c.Status == StatusActive {
		return enroll.PurposeHandOver
	}
	return enroll.PurposePrint
}

// HandOver records that the holder received the printed card (a clerk of
// the application's site, or a supervisor, at the desk).
func (s *Service) HandOver(ctx context.Context, by auth.Actor, id string) (Card, error) {
	if !by.Can(auth.RoleSupervisor, auth.RoleClerk) {
		return Card{}, s.deny(ctx, by, "card.handover", id, errs.ErrForbidden)
	}
	if _, err := s.Visible(ctx, by, id); err != nil {
		return Card{}, err
	}
	var out Card
	err := s.db.InTx(ctx, func(tx Tx) error {
		row, err := s.cardInTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if row.Status != StatusActive {
			return fmt.Errorf("card %s is %s: %w", row.ID, row.Status, ErrState)
		}
		now := s.now().UTC()
		if err := tx.MarkCardHandedOver(ctx, row.ID, now); err != nil {
			if errors.Is(err, errs.ErrWriteConflict) {
				return fmt.Errorf("%w: %w", ErrState, err)
			}
			return err
		}
		if err := tx.AppendAudit(ctx, audit.Event{At: now, Actor: by.StaffID, Action: "card.handover", RecordType: "card", RecordID: row.ID}); err != nil {
			return err
		}
		row.HandedOverAt, row.UpdatedAt = now, now
		out = fromRow(row)
		return nil
	})
	return out, err
}
