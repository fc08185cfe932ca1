// Package municipalid defines the municipal ID card as a phone credential:
// its SD-JWT VC type (vct), its claims and which are disclosable, how long a
// credential lives, and the type metadata wallets show. The issuer
// (internal/card) and the verifier (the /verify phone tab) share it.
package municipalid

import (
	"strings"
	"time"

	"github.com/cityid/cityid/internal/credential/sdjwt"
	"github.com/cityid/cityid/internal/person"
)

// VCTPath is the path of the credential type under the issuer URL; the type
// metadata is served there.
const VCTPath = "/credentials/municipal-id/v1"

// ConfigurationID names the credential in OpenID4VCI issuer metadata and offers.
const ConfigurationID = "municipal_id_sd_jwt"

// VCT returns the credential type for an issuer URL.
func VCT(issuerURL string) string { return strings.TrimRight(issuerURL, "/") + VCTPath }

// Claim names (SD-JWT VC / OpenID Connect names where one exists).
const (
	GivenName      = "given_name"
	FamilyName     = "family_name"
	Birthdate      = "birthdate"
	Address        = "address"
	StreetAddress  = "street_address"
	Locality       = "locality"
	PostalCode     = "postal_code"
	ResidentOf     = "resident_of"
	AgeOver18      = "age_over_18"
	AgeOver21      = "age_over_21"
	CardValidUntil = "card_valid_until"
)

// TopLevel lists the top-level disclosable claims in the order the type
// metadata shows them; Address's members follow it there.
var TopLevel = []string{GivenName, FamilyName, Birthdate, Address, ResidentOf, AgeOver18, AgeOver21, CardValidUntil}

// AddressMembers are the members of the address object, each its own disclosure.
var AddressMembers = []string{StreetAddress, Locality, PostalCode}

// Pad is the number of digests every _sd array is padded to: more than the
// eight top-level claims, so whether a holder has an address or a second
// surname does not show in the count.
const Pad = 12

// Holder is what a credential is made from.
type Holder struct {
	Person      person.Person
	City        string      // the program's city (resident_of)
	CardExpires person.Date // the card's expiry date
	Today       person.Date // the issue date in the program's time zone
}

// Claims returns the credential's claims, each selectively disclosable. The
// age claims are computed on Today; they turn stale (see docs/credentials.md).
func Claims(h Holder) sdjwt.Object {
	p := h.Person
	var out sdjwt.Object
	add := func(name string, v any) { out = append(out, sdjwt.Member{Name: name, Value: v, Disclose: true}) }
	if g := strings.TrimSpace(p.GivenNames); g != "" {
		add(GivenName, g)
	}
	if f := p.Surnames(); f != "" {
		add(FamilyName, f)
	}
	add(Birthdate, p.DateOfBirth.String())
	if !p.NoAddress && !p.Address.IsZero() {
		var addr sdjwt.Object
		a := p.Address
		street := strings.TrimSpace(strings.Join(nonEmpty(a.Line1, a.Line2), ", "))
		if c := strings.TrimSpace(a.CareOf); c != "" {
			street = strings.TrimSpace("c/o " + c + ", " + street)
		}
		for _, m := range []struct{ name, v string }{{StreetAddress, street}, {Locality, a.City}, {PostalCode, a.PostalCode}} {
			if v := strings.TrimSpace(m.v); v != "" {
				addr = append(addr, sdjwt.Member{Name: m.name, Value: v, Disclose: true})
			}
		}
		if len(addr) > 0 {
			add(Address, addr)
		}
	}
	add(ResidentOf, h.City)
	age := p.DateOfBirth.AgeOn(h.Today)
	add(AgeOver18, age >= 18)
	add(AgeOver21, age >= 21)
	add(CardValidUntil, h.CardExpires.String())
	return out
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Window returns the iat and exp of a credential issued at now for a card
// expiring on cardExpires. Both are rounded to the first of a month (UTC):
// they are the only dates a verifier always sees, and exact dates would
// single a holder out across verifiers. exp is the first of the card's
// expiry month, so the phone credential never outlives the card.
func Window(now time.Time, cardExpires person.Date) (iat, exp time.Time) {
	now = now.UTC()
	iat = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	exp = time.Date(cardExpires.Year, cardExpires.Month, 1, 0, 0, 0, 0, time.UTC)
	return iat, exp
}
