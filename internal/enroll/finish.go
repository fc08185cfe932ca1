package enroll

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/photo"
)

// Finish checks a finished intake exactly as Submit does (person, documents,
// evidence rules, fee or waiver, photo required and normalized) without
// storing anything, and returns it normalized: the person normalized, the
// documents minimized, the photo re-encoded without metadata. A field
// station calls it before sealing an application it cannot keep; duplicate
// screening waits for the city. Problems are a *ValidationError. It needs
// no store or vault (a Service made with New(nil, nil, settings, …)).
func (s *Service) Finish(in Intake) (Intake, fee.Quote, error) {
	p := in.Person.Normalize()
	in.Documents = evidence.Minimize(s.settings.Documents, in.Documents)
	today := s.today()
	q := fee.Compute(s.settings.Fees, fee.KindNew, p.DateOfBirth, today)
	problems := s.submissionErrors(in, p, q, s.evaluate(in, p, today), today)
	if len(in.Photo) == 0 {
		problems = append(problems, person.FieldError{Field: "photo", Key: "enroll.error.photo_required"})
	} else {
		jpeg, err := photo.Normalize(bytes.NewReader(in.Photo), s.photo)
		var pe *photo.Error
		switch {
		case errors.As(err, &pe):
			problems = append(problems, person.FieldError{Field: "photo", Key: pe.Key})
		case err != nil:
			return Intake{}, q, fmt.Errorf("photo: %w", err)
		default:
			in.Photo = jpeg
		}
	}
	if err := validationErr(problems); err != nil {
		return Intake{}, q, err
	}
	in.Person = p
	return in, q, nil
}

// NormalizePhoto re-encodes an uploaded photo as intake stores it (the
// program's size, no metadata): a field station keeps a draft's photo so.
// A photo that cannot be used is a *photo.Error with its message key.
func (s *Service) NormalizePhoto(raw []byte) ([]byte, error) {
	return photo.Normalize(bytes.NewReader(raw), s.photo)
}
