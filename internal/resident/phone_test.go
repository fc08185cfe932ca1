package resident

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/config"
)

// section is the text of the home page between two headings, tags removed.
func section(body, from, to string) string {
	_, after, ok := strings.Cut(body, from)
	if !ok {
		return ""
	}
	before, _, _ := strings.Cut(after, to)
	return strings.Join(strings.Fields(html.UnescapeString(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(before, " "))), " ")
}

// TestHomeWhatToBring: the home page lists the city's accepted documents
// under what they prove, with the rule in plain words, for both kinds of
// evidence rules, and never the evidence engine's "missing" messages.
func TestHomeWhatToBring(t *testing.T) {
	e := newEnv(t, false, Options{})
	tests := []struct {
		name  string
		rules config.Evidence
		docs  []config.Document
		want  []string
	}{
		{"documents (New Haven)", e.app.Settings.Evidence, e.app.Settings.Documents, []string{
			"Para probar quién es Traiga 1 de estos documentos: Pasaporte (de cualquier país)",
			"Para probar que vive en la ciudad Traiga 1 de estos documentos:",
			"Factura de servicios (gas, luz, agua, teléfono o internet)",
			"Al menos uno de sus documentos debe mostrar su fecha de nacimiento.",
		}},
		{"points (IDNYC style)", config.Evidence{Mode: config.ModePoints, IdentityPoints: 3, ResidencyPoints: 1, RequirePhoto: true, MinimumAge: 10},
			[]config.Document{{Code: "passport", IdentityPoints: 3}, {Code: "birth_certificate", IdentityPoints: 2, MaxAge: 17}, {Code: "lease", ResidencyPoints: 1}}, []string{
				"Traiga documentos de esta lista que sumen al menos 3 puntos: Pasaporte (de cualquier país) (3 puntos)",
				"(2 puntos) (solo hasta los 17 años)",
				"Traiga documentos de esta lista que sumen al menos 1 punto: Contrato de arrendamiento de vivienda (1 punto)",
				"Al menos uno de sus documentos debe tener su foto.",
				"Puede solicitar la tarjeta desde los 10 años.",
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.app.Settings.Evidence, e.app.Settings.Documents = tc.rules, tc.docs
			r := e.do(t, "GET", "/es/", nil)
			bring := section(r.body, "Qué debe traer", "Cómo obtenerla")
			for _, w := range tc.want {
				if !strings.Contains(bring, w) {
					t.Errorf("what to bring lacks %q:\n%s", w, bring)
				}
			}
			if strings.Contains(bring, "Falta") {
				t.Errorf("what to bring shows the evidence engine's messages:\n%s", bring)
			}
			if cost := section(r.body, "Cuánto cuesta", "Qué debe traer"); !strings.Contains(cost, "Si no puede pagar la tarifa, pregunte por una exención.") {
				t.Errorf("fee section = %q", cost)
			}
		})
	}
}
