package evidence

import "github.com/cityid/cityid/internal/config"

// Guide is what a resident should know before coming: which documents the
// city accepts for each thing to prove, and how many it takes. It is made
// from the same settings Evaluate applies, so the public site never promises
// more or less than the clerk's check.
type Guide struct {
	Points bool // points mode: Need counts points, each document says its worth
	// Identity and Residency list the accepted documents for each proof.
	Identity, Residency Need
	// Photo and DOB: at least one counted document must show a photo / a
	// date of birth.
	Photo, DOB bool
	// Both lists documents that prove identity and residency at once.
	Both []string
	// MinimumAge is the youngest age at which a person may apply (0 = any).
	MinimumAge int
}

// Need is one proof: how many documents (or points) and which documents.
type Need struct {
	N         int
	Documents []Accepted
}

// Accepted is one document type as the guide lists it.
type Accepted struct {
	Code string
	// Points is what it is worth toward this proof (points mode).
	Points int
	// MinAge and MaxAge limit who may use it (0 = no limit).
	MinAge, MaxAge int
}

// Requirements builds the guide from the evidence rules and the document
// catalogue, in catalogue order.
func Requirements(s config.Evidence, docs []config.Document) Guide {
	g := Guide{Points: s.Mode == config.ModePoints, Photo: s.RequirePhoto, DOB: s.RequireDOB, MinimumAge: s.MinimumAge}
	if g.Points {
		g.Identity.N, g.Residency.N = s.IdentityPoints, s.ResidencyPoints
	} else {
		g.Identity.N, g.Residency.N = s.IdentityDocuments, s.ResidencyDocuments
	}
	for _, d := range docs {
		if d.IdentityPoints > 0 {
			g.Identity.Documents = append(g.Identity.Documents, Accepted{Code: d.Code, Points: d.IdentityPoints, MinAge: d.MinAge, MaxAge: d.MaxAge})
		}
		if d.ResidencyPoints > 0 {
			g.Residency.Documents = append(g.Residency.Documents, Accepted{Code: d.Code, Points: d.ResidencyPoints, MinAge: d.MinAge, MaxAge: d.MaxAge})
		}
		if d.IdentityPoints > 0 && d.ResidencyPoints > 0 {
			g.Both = append(g.Both, d.Code)
		}
	}
	return g
}
