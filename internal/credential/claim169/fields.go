package claim169

import (
	"fmt"

	"github.com/fxamacker/cbor/v2"

	"github.com/cityid/cityid/internal/credential/cose"
)

type fieldKind uint8

const (
	kindText fieldKind = iota
	kindInt
	kindBytes
	kindIntArray
	kindBiometrics
)

type field struct {
	name string
	kind fieldKind
}

// fields lists every key Claim 169 (v1.2) defines, with its name and CBOR type.
var fields = map[int64]field{
	1: {"id", kindText}, 2: {"version", kindText}, 3: {"language", kindText},
	4: {"fullName", kindText}, 5: {"firstName", kindText}, 6: {"middleName", kindText},
	7: {"lastName", kindText}, 8: {"dateOfBirth", kindText}, 9: {"gender", kindInt},
	10: {"address", kindText}, 11: {"email", kindText}, 12: {"phone", kindText},
	13: {"nationality", kindText}, 14: {"maritalStatus", kindInt}, 15: {"guardian", kindText},
	16: {"photo", kindBytes}, 17: {"photoFormat", kindInt}, 18: {"bestQualityFingers", kindIntArray},
	19: {"secondaryFullName", kindText}, 20: {"secondaryLanguage", kindText},
	21: {"locationCode", kindText}, 22: {"legalStatus", kindText}, 23: {"countryOfIssuance", kindText},
	50: {"rightThumb", kindBiometrics}, 51: {"rightPointerFinger", kindBiometrics},
	52: {"rightMiddleFinger", kindBiometrics}, 53: {"rightRingFinger", kindBiometrics},
	54: {"rightLittleFinger", kindBiometrics}, 55: {"leftThumb", kindBiometrics},
	56: {"leftPointerFinger", kindBiometrics}, 57: {"leftMiddleFinger", kindBiometrics},
	58: {"leftRingFinger", kindBiometrics}, 59: {"leftLittleFinger", kindBiometrics},
	60: {"rightIris", kindBiometrics}, 61: {"leftIris", kindBiometrics}, 62: {"face", kindBiometrics},
	63: {"rightPalm", kindBiometrics}, 64: {"leftPalm", kindBiometrics}, 65: {"voice", kindBiometrics},
}

// textFields maps the keys that Claims carries as strings to their struct fields.
func (c *Claims) textField(key int64) *string {
	switch key {
	case 1:
		return &c.ID
	case 2:
		return &c.Version
	case 3:
		return &c.Language
	case 4:
		return &c.FullName
	case 5:
		return &c.FirstName
	case 6:
		return &c.MiddleName
	case 7:
		return &c.LastName
	case 8:
		return &c.DateOfBirth
	case 10:
		return &c.Address
	case 11:
		return &c.Email
	case 12:
		return &c.Phone
	case 19:
		return &c.SecondaryFullName
	case 20:
		return &c.SecondaryLanguage
	case 21:
		return &c.LocationCode
	case 23:
		return &c.CountryOfIssuance
	}
	return nil
}

// decodeClaim169 decodes the claim 169 map into cred.
func decodeClaim169(raw []byte, cred *Credential) error {
	var m map[int64]cbor.RawMessage
	if err := cose.DecMode.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("%w: claim 169: %v", ErrCBOR, err)
	}
	c := &cred.Claims
	for key, v := range m {
		f, known := fields[key]
		if !known {
			if cred.Unknown == nil {
				cred.Unknown = map[int64]cbor.RawMessage{}
			}
			cred.Unknown[key] = v
			continue
		}
		var err error
		if p := c.textField(key); p != nil {
			err = cose.DecMode.Unmarshal(v, p)
		} else {
			switch key {
			case 9:
				err = cose.DecMode.Unmarshal(v, &c.Gender)
			case 62:
				err = cose.DecMode.Unmarshal(v, &c.Face)
			default:
				var val any
				val, err = decodeOther(f.kind, v)
				if err == nil {
					if cred.Other == nil {
						cred.Other = map[string]any{}
					}
					cred.Other[f.name] = val
				}
			}
		}
		if err != nil {
			return fmt.Errorf("%w: claim 169 field %s: %v", ErrCBOR, f.name, err)
		}
	}
	return nil
}

// decodeOther decodes a field Claims does not carry into a JSON-ready value.
func decodeOther(kind fieldKind, v []byte) (any, error) {
	var err error
	switch kind {
	case kindText:
		var s string
		err = cose.DecMode.Unmarshal(v, &s)
		return s, err
	case kindInt:
		var n int64
		err = cose.DecMode.Unmarshal(v, &n)
		return n, err
	case kindBytes:
		var b []byte
		err = cose.DecMode.Unmarshal(v, &b)
		return b, err
	case kindIntArray:
		var a []int64
		err = cose.DecMode.Unmarshal(v, &a)
		return a, err
	default:
		var bs []Biometric
		err = cose.DecMode.Unmarshal(v, &bs)
		return biometricsJSON(bs), err
	}
}

// biometricJSON is the JSON shape of a biometric entry (data as base64).
type biometricJSON struct {
	Data      []byte `json:"data,omitempty"`
	Format    int64  `json:"format"`
	SubFormat int64  `json:"subFormat"`
	Issuer    string `json:"issuer,omitempty"`
}

func biometricsJSON(bs []Biometric) []biometricJSON {
	out := make([]biometricJSON, len(bs))
	for i, b := range bs {
		out[i] = biometricJSON(b)
	}
	return out
}

// ClaimMap returns every decoded claim by its Claim 169 name, as JSON-ready
// values (byte strings become base64 when marshalled). Empty fields are left out.
func (cred *Credential) ClaimMap() map[string]any {
	out := make(map[string]any, len(cred.Other)+8)
	for k, v := range cred.Other {
		out[k] = v
	}
	c := &cred.Claims
	for key, f := range fields {
		if p := c.textField(key); p != nil && *p != "" {
			out[f.name] = *p
		}
	}
	if c.Gender != 0 {
		out["gender"] = c.Gender
	}
	if len(c.Face) > 0 {
		out["face"] = biometricsJSON(c.Face)
	}
	return out
}

// claimMapCBOR returns the claim 169 map to encode: only non-empty fields.
func (c *Claims) claimMapCBOR() map[int64]any {
	m := make(map[int64]any, 12)
	for key := range fields {
		if p := c.textField(key); p != nil && *p != "" {
			m[key] = *p
		}
	}
	if c.Gender != 0 {
		m[9] = c.Gender
	}
	if len(c.Face) > 0 {
		m[62] = c.Face
	}
	return m
}
