package present

import (
	"fmt"
	"slices"

	"github.com/cityid/cityid/internal/credential/municipalid"
)

// Format is the DCQL credential format asked for: IETF SD-JWT VC.
const Format = "dc+sd-jwt"

// QueryID is the id of the one credential query in every request; the
// wallet's vp_token is keyed by it.
const QueryID = "municipal_id"

// Preset is what a verifier may ask for. Each asks for the fewest claims
// that answer one question, so a shop learns "over 21" and nothing else.
type Preset string

// The presets on the verifier page and in the API.
const (
	PresetResident       Preset = "resident"        // lives in the city
	PresetOver21         Preset = "over21"          // is over 21
	PresetResidentOver21 Preset = "resident_over21" // both
	PresetName           Preset = "name"            // given and family name
)

// Presets lists the presets in the order the page offers them.
func Presets() []Preset {
	return []Preset{PresetResident, PresetOver21, PresetResidentOver21, PresetName}
}

// Claims returns the credential claims p asks for, in display order; nil for
// an unknown preset.
func (p Preset) Claims() []string {
	switch p {
	case PresetResident:
		return []string{municipalid.ResidentOf}
	case PresetOver21:
		return []string{municipalid.AgeOver21}
	case PresetResidentOver21:
		return []string{municipalid.ResidentOf, municipalid.AgeOver21}
	case PresetName:
		return []string{municipalid.GivenName, municipalid.FamilyName}
	}
	return nil
}

// ParsePreset checks a preset named by a form or API client.
func ParsePreset(s string) (Preset, error) {
	p := Preset(s)
	if p.Claims() == nil {
		return "", fmt.Errorf("%w: unknown preset %q", ErrBadRequest, s)
	}
	return p, nil
}

// Query is a DCQL query (OpenID4VP 1.0 §6) with one credential query.
type Query struct {
	Credentials []CredentialQuery `json:"credentials"`
}

// CredentialQuery asks for one credential of a format and type.
type CredentialQuery struct {
	ID     string      `json:"id"`
	Format string      `json:"format"`
	Meta   QueryMeta   `json:"meta"`
	Claims []ClaimPath `json:"claims"`
}

// QueryMeta holds the SD-JWT VC type constraint.
type QueryMeta struct {
	VCTValues []string `json:"vct_values"`
}

// ClaimPath is a claims query: a path into the credential's claims.
type ClaimPath struct {
	Path []string `json:"path"`
}

// NewQuery asks for the claims of one SD-JWT VC of type vct, with holder
// binding (the DCQL default).
func NewQuery(vct string, claims []string) Query {
	cq := CredentialQuery{ID: QueryID, Format: Format, Meta: QueryMeta{VCTValues: []string{vct}}}
	for _, c := range claims {
		cq.Claims = append(cq.Claims, ClaimPath{Path: []string{c}})
	}
	return Query{Credentials: []CredentialQuery{cq}}
}

// asked returns the top-level claim names the query asks for.
func (q Query) asked() []string {
	var out []string
	for _, cq := range q.Credentials {
		for _, c := range cq.Claims {
			if len(c.Path) > 0 && !slices.Contains(out, c.Path[0]) {
				out = append(out, c.Path[0])
			}
		}
	}
	return out
}
