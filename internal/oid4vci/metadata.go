package oid4vci

import (
	"net/http"

	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/credential/municipalid"
)

// claimPaths lists every claim as a path (the address members under address).
func claimPaths() [][]string {
	var out [][]string
	for _, c := range municipalid.TopLevel {
		out = append(out, []string{c})
		if c == municipalid.Address {
			for _, m := range municipalid.AddressMembers {
				out = append(out, []string{municipalid.Address, m})
			}
		}
	}
	return out
}

// display returns one {name|label, locale, description?} per program
// language for key.
func (h *Handler) display(field, key string, withDescription bool) []map[string]string {
	var out []map[string]string
	for _, lang := range h.c.Languages {
		d := map[string]string{field: h.c.Tr.T(lang, key, "program", h.c.Program, "city", h.c.City), "locale": lang}
		if withDescription {
			d["description"] = h.c.Tr.T(lang, "phone.credential.description", "city", h.c.City)
		}
		out = append(out, d)
	}
	return out
}

func (h *Handler) issuerMetadata(w http.ResponseWriter, r *http.Request) {
	var claims []map[string]any
	for _, p := range claimPaths() {
		claims = append(claims, map[string]any{"path": p, "display": h.display("name", "phone.claim."+p[len(p)-1], false)})
	}
	alg := h.c.SigningAlg
	if alg == "" {
		alg = "ES256"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"credential_issuer":         h.issuer,
		"credential_endpoint":       h.issuer + CredentialPath,
		"nonce_endpoint":            h.issuer + NoncePath,
		"display":                   h.display("name", "phone.issuer.name", false),
		"batch_credential_issuance": map[string]any{"batch_size": card.PhoneBatch},
		"credential_configurations_supported": map[string]any{
			municipalid.ConfigurationID: map[string]any{
				"format": "dc+sd-jwt",
				"vct":    municipalid.VCT(h.issuer),
				"cryptographic_binding_methods_supported": []string{"jwk"},
				"credential_signing_alg_values_supported": []string{alg},
				"proof_types_supported": map[string]any{
					"jwt": map[string]any{"proof_signing_alg_values_supported": proofAlgs},
				},
				"credential_metadata": map[string]any{
					"display": h.display("name", "phone.credential.name", true),
					"claims":  claims,
				},
			},
		},
	})
}

func (h *Handler) asMetadata(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                   h.issuer,
		"token_endpoint":           h.issuer + TokenPath,
		"grant_types_supported":    []string{PreAuthGrant},
		"response_types_supported": []string{},
		"pre-authorized_grant_anonymous_access_supported": true,
		"token_endpoint_auth_methods_supported":           []string{"none"},
	})
}

// typeMetadata is the SD-JWT VC type metadata, served at the vct URL
// itself: names, labels in every program language, and that every claim
// may be disclosed alone.
func (h *Handler) typeMetadata(w http.ResponseWriter, r *http.Request) {
	var claims []map[string]any
	for _, p := range claimPaths() {
		claims = append(claims, map[string]any{"path": p, "sd": "always", "display": h.display("label", "phone.claim."+p[len(p)-1], false)})
	}
	display := h.display("name", "phone.credential.name", true)
	w.Header().Set("Cache-Control", "public, max-age=3600")
	writeJSON(w, http.StatusOK, map[string]any{
		"vct":         municipalid.VCT(h.issuer),
		"name":        display[0]["name"],
		"description": display[0]["description"],
		"display":     display,
		"claims":      claims,
	})
}
