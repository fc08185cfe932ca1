// Package evidence evaluates the documents an applicant shows against the
// program's evidence rules, live during intake, and says in plain words (as
// message keys) what is still missing.
//
// Only document types, issuers and expiry dates are considered: cityid never
// records a document's number or an image of it.
package evidence

import (
	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/person"
)

// Shown is one document the applicant showed the clerk.
type Shown struct {
	Type string // a catalogue code, e.g. "passport"
	// Issuer (e.g. a licence's state) is kept only for types whose catalogue
	// entry sets ask_issuer (see Minimize); the rules do not use it.
	Issuer  string
	Expires person.Date // zero: no expiry or not recorded
	// Dated is the date the document was issued, recorded instead of
	// Expires for types with a "dated within N days" rule (a utility bill).
	Dated person.Date `json:",omitzero"`
}

// Minimize returns shown without the issuers of document types whose
// catalogue entry does not ask for one (and of unknown types), so an issuer
// that would reveal nationality is never stored; it also keeps only the date
// the type asks for (issue date or expiry).
func Minimize(docs []config.Document, shown []Shown) []Shown {
	ask := map[string]bool{}
	for _, d := range docs {
		ask[d.Code] = d.AskIssuer
	}
	out := make([]Shown, len(shown))
	dated := map[string]bool{}
	for _, d := range docs {
		dated[d.Code] = d.DatedWithinDays > 0
	}
	for i, sh := range shown {
		if !ask[sh.Type] {
			sh.Issuer = ""
		}
		// One date per document: the issue date where the rule asks for
		// it, the expiry elsewhere.
		if dated[sh.Type] {
			sh.Expires = person.Date{}
		} else {
			sh.Dated = person.Date{}
		}
		out[i] = sh
	}
	return out
}

// Input is what the evaluation needs to know about the applicant.
type Input struct {
	Shown []Shown
	Age   int // in whole years on Today
	Today person.Date
	// Caretaker is set when a caretaker came with the applicant and proved
	// the relationship.
	Caretaker bool
}

// Result is the outcome; OK means every requirement is met.
type Result struct {
	OK bool
	// IdentityPoints and ResidencyPoints add up the counted documents' points.
	IdentityPoints  int
	ResidencyPoints int
	// IdentityDocuments and ResidencyDocuments count distinct counted documents.
	IdentityDocuments  int
	ResidencyDocuments int
	HasPhoto, HasDOB   bool
	// Missing says what still blocks the application.
	Missing []Missing
	// Notes explain why a shown document counted less or not at all.
	Notes []Missing
}

// Missing is a message key with its count, for the {n} placeholder and the
// plural form: translate with T(m.Key, "n", m.N).
type Missing struct {
	Key string
	N   int
	// Document is the type code the message is about, if any.
	Document string `json:",omitempty"`
}

// Message keys.
const (
	KeyTooYoung          = "evidence.too_young"
	KeyUnknownDocument   = "evidence.unknown_document"
	KeyIdentityPoints    = "evidence.missing.identity_points"
	KeyResidencyPoints   = "evidence.missing.residency_points"
	KeyIdentityDocument  = "evidence.missing.identity_document"
	KeyResidencyDocument = "evidence.missing.residency_document"
	KeyPhotoDocument     = "evidence.missing.photo_document"
	KeyDOBDocument       = "evidence.missing.dob_document"

	NoteExpiredNotCounted    = "evidence.note.expired_not_counted"
	NoteExpiredReducedPoints = "evidence.note.expired_reduced_points"
	NoteExpiredAccepted      = "evidence.note.expired_accepted"
	NoteDuplicateType        = "evidence.note.duplicate_type"
	NoteNotForAge            = "evidence.note.not_for_age"
	NoteCaretakerPhotoWaived = "evidence.note.caretaker_photo_waived"
	NoteCaretakerNotForAge   = "evidence.note.caretaker_not_applicable"

	// Dated-within rules: used as notes and as the intake's field errors.
	KeyDatedMissing = "evidence.dated.missing"
	KeyDatedFuture  = "evidence.dated.future"
	KeyDatedTooOld  = "evidence.dated.too_old"
)

// Keys lists every message key Evaluate can produce, for catalogue tests.
func Keys() []string {
	return []string{
		KeyTooYoung, KeyUnknownDocument, KeyIdentityPoints, KeyResidencyPoints,
		KeyIdentityDocument, KeyResidencyDocument, KeyPhotoDocument, KeyDOBDocument,
		NoteExpiredNotCounted, NoteExpiredReducedPoints, NoteExpiredAccepted,
		NoteDuplicateType, NoteNotForAge, NoteCaretakerPhotoWaived, NoteCaretakerNotForAge,
		KeyDatedMissing, KeyDatedFuture, KeyDatedTooOld,
	}
}

// DatedProblem is the message key saying why a document of type d dated
// on dated does not meet its "dated within N days" rule on today, or ""
// when it does (or the type has no such rule). The key's {n} is
// d.DatedWithinDays.
func DatedProblem(d config.Document, dated, today person.Date) string {
	switch {
	case d.DatedWithinDays <= 0:
		return ""
	case dated.IsZero():
		return KeyDatedMissing
	case today.Before(dated):
		return KeyDatedFuture
	case dated.Before(today.AddDays(-d.DatedWithinDays)):
		return KeyDatedTooOld
	}
	return ""
}

// counted is what one shown document is worth.
type counted struct {
	doc                 config.Document
	identity, residency int
	note                *Missing
}

// worth values a shown document on in.Today: expired documents count only
// within their grace period and only for identity.
func worth(s config.Evidence, d config.Document, sh Shown, in Input) counted {
	c := counted{doc: d, identity: d.IdentityPoints, residency: d.ResidencyPoints}
	switch {
	case d.MinAge > 0 && in.Age < d.MinAge, d.MaxAge > 0 && in.Age > d.MaxAge:
		return counted{doc: d, note: &Missing{Key: NoteNotForAge, Document: d.Code}}
	case d.DatedWithinDays > 0:
		// A recent-document type has no expiry: its issue date decides.
		// Not recorded yet (a resident's checklist, a draft) counts, as an
		// unrecorded expiry does; submitting asks for it (enroll).
		if k := DatedProblem(d, sh.Dated, in.Today); k != "" && k != KeyDatedMissing {
			return counted{doc: d, note: &Missing{Key: k, N: d.DatedWithinDays, Document: d.Code}}
		}
		return c
	case sh.Expires.IsZero() || !sh.Expires.Before(in.Today):
		return c // valid through its expiry day
	case d.ExpiredGraceYears > 0 && d.ExpiredIdentityPoints > 0 && in.Today.Before(sh.Expires.AddYears(d.ExpiredGraceYears)):
		c.identity, c.residency = d.ExpiredIdentityPoints, 0
		if s.Mode == config.ModePoints {
			c.note = &Missing{Key: NoteExpiredReducedPoints, N: c.identity, Document: d.Code}
		} else {
			c.note = &Missing{Key: NoteExpiredAccepted, Document: d.Code}
		}
		return c
	default:
		return counted{doc: d, note: &Missing{Key: NoteExpiredNotCounted, Document: d.Code}}
	}
}

func (c counted) counts() bool { return c.identity > 0 || c.residency > 0 }

// better reports whether c is worth more than o (for two documents of one type).
func (c counted) better(o counted) bool {
	if c.identity+c.residency != o.identity+o.residency {
		return c.identity+c.residency > o.identity+o.residency
	}
	return c.identity > o.identity
}

// Evaluate checks the shown documents against the rules s and catalogue docs.
// Several documents of one type count once (the one worth most).
func Evaluate(s config.Evidence, docs []config.Document, in Input) Result {
	var r Result
	if s.MinimumAge > 0 && in.Age < s.MinimumAge {
		r.Missing = append(r.Missing, Missing{Key: KeyTooYoung, N: s.MinimumAge})
	}
	catalogue := make(map[string]config.Document, len(docs))
	for _, d := range docs {
		catalogue[d.Code] = d
	}

	// Value every shown document, keeping the best of each type in the
	// order the types were first shown.
	var order []string
	best := map[string]counted{}
	for _, sh := range in.Shown {
		d, ok := catalogue[sh.Type]
		if !ok {
			r.Missing = append(r.Missing, Missing{Key: KeyUnknownDocument, Document: sh.Type})
			continue
		}
		c := worth(s, d, sh, in)
		prev, seen := best[d.Code]
		switch {
		case !seen:
			order = append(order, d.Code)
			best[d.Code] = c
		case c.better(prev):
			best[d.Code] = c
			r.Notes = append(r.Notes, Missing{Key: NoteDuplicateType, Document: d.Code})
		default:
			r.Notes = append(r.Notes, Missing{Key: NoteDuplicateType, Document: d.Code})
		}
	}
	for _, code := range order {
		c := best[code]
		if c.note != nil {
			r.Notes = append(r.Notes, *c.note)
		}
		if !c.counts() {
			continue
		}
		r.IdentityPoints += c.identity
		r.ResidencyPoints += c.residency
		if c.identity > 0 {
			r.IdentityDocuments++
		}
		if c.residency > 0 {
			r.ResidencyDocuments++
		}
		r.HasPhoto = r.HasPhoto || c.doc.HasPhoto
		r.HasDOB = r.HasDOB || c.doc.HasDOB
	}

	switch s.Mode {
	case config.ModePoints:
		r.need(KeyIdentityPoints, s.IdentityPoints, r.IdentityPoints)
		r.need(KeyResidencyPoints, s.ResidencyPoints, r.ResidencyPoints)
	default:
		r.need(KeyIdentityDocument, s.IdentityDocuments, r.IdentityDocuments)
		r.need(KeyResidencyDocument, s.ResidencyDocuments, r.ResidencyDocuments)
	}

	caretakerRule := s.CaretakerMaxAge > 0 && in.Age <= s.CaretakerMaxAge
	if in.Caretaker && !caretakerRule && s.CaretakerWaivesPhoto && s.RequirePhoto && !r.HasPhoto {
		r.Notes = append(r.Notes, Missing{Key: NoteCaretakerNotForAge, N: s.CaretakerMaxAge})
	}
	if s.RequirePhoto && !r.HasPhoto {
		if in.Caretaker && caretakerRule && s.CaretakerWaivesPhoto {
			r.Notes = append(r.Notes, Missing{Key: NoteCaretakerPhotoWaived})
		} else {
			r.Missing = append(r.Missing, Missing{Key: KeyPhotoDocument})
		}
	}
	if s.RequireDOB && !r.HasDOB {
		r.Missing = append(r.Missing, Missing{Key: KeyDOBDocument})
	}
	r.OK = len(r.Missing) == 0
	return r
}

func (r *Result) need(key string, want, have int) {
	if have < want {
		r.Missing = append(r.Missing, Missing{Key: key, N: want - have})
	}
}
