package i18n

import (
	"regexp"
	"testing"
)

// TestCatalogParity keeps every shipped language in step: same keys, same placeholders.
func TestCatalogParity(t *testing.T) {
	b, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Languages()) < 2 {
		t.Fatalf("Languages() = %v, want at least en and es", b.Languages())
	}
	ph := regexp.MustCompile(`\{[a-z_]+\}`)
	base := b.Languages()[0]
	for _, lang := range b.Languages()[1:] {
		for _, k := range b.Keys(base) {
			if _, ok := b.messages[lang][k]; !ok {
				t.Errorf("%s: missing key %q (present in %s)", lang, k, base)
				continue
			}
			want, got := ph.FindAllString(b.messages[base][k], -1), ph.FindAllString(b.messages[lang][k], -1)
			if len(want) != len(got) {
				t.Errorf("%s: key %q placeholders = %v, want %v", lang, k, got, want)
			}
		}
		for _, k := range b.Keys(lang) {
			if _, ok := b.messages[base][k]; !ok {
				t.Errorf("%s: key %q not in %s", lang, k, base)
			}
		}
	}
}

func TestT(t *testing.T) {
	b, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	b.messages["en"]["test.points.one"] = "{n} more point"
	b.messages["en"]["test.points.other"] = "{n} more points"
	b.messages["es"]["test.points.one"] = "{n} punto más"
	b.messages["es"]["test.points.other"] = "{n} puntos más"
	tests := []struct {
		lang string
		n    int
		want string
	}{
		{"en", 1, "1 more point"},
		{"en", 2, "2 more points"},
		{"es", 1, "1 punto más"},
		{"es", 3, "3 puntos más"},
		{"fr", 3, "3 more points"},
	}
	for _, tt := range tests {
		if got := b.T(tt.lang, "test.points", "n", tt.n); got != tt.want {
			t.Errorf("T(%s, test.points, n=%d) = %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
	if got := b.T("es", "no.such.key"); got != "no.such.key" {
		t.Errorf("T(missing) = %q, want the key", got)
	}
}

func TestMatch(t *testing.T) {
	b, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"es-MX,es;q=0.9,en;q=0.8": "es",
		"en-US,en;q=0.9":          "en",
		"fr-FR":                   "en",
		"":                        "en",
		"garbage;;;":              "en",
	} {
		if got := b.Match(in); got != want {
			t.Errorf("Match(%q) = %q, want %q", in, got, want)
		}
	}
}
