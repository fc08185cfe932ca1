package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultValid(t *testing.T) {
	s := Default()
	if err := s.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v, want nil", err)
	}
	if s.Fees.Adult != 1000 || s.Fees.Child != 500 || s.Program.City != "New Haven" {
		t.Errorf("Default() fees/city = %d/%d/%q, want 1000/500/New Haven", s.Fees.Adult, s.Fees.Child, s.Program.City)
	}
	if s.Evidence.Mode != ModeDocuments || s.Evidence.IdentityDocuments != 1 || s.Evidence.ResidencyDocuments != 1 {
		t.Errorf("Default().Evidence = %+v, want one identity + one residency document", s.Evidence)
	}
	if s.Card.AAMVAIIN != PlaceholderIIN {
		t.Errorf("Default().Card.AAMVAIIN = %q, want the placeholder %q", s.Card.AAMVAIIN, PlaceholderIIN)
	}
	if got := s.Program.DefaultLanguage(); got != "en" {
		t.Errorf("DefaultLanguage() = %q, want en", got)
	}
	// Default must hand out fresh values: changing one must not change the next.
	s.Documents[0].Code = "changed"
	s.Program.Title["en"] = "changed"
	if d := Default(); d.Documents[0].Code == "changed" || d.Program.Title["en"] == "changed" {
		t.Error("Default() shares slices or maps between calls")
	}
}

func TestProfiles(t *testing.T) {
	names := Profiles()
	if diff := cmp.Diff([]string{"idnyc", "new-haven"}, names); diff != "" {
		t.Fatalf("Profiles() mismatch (-want +got):\n%s", diff)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			s, err := Profile(name)
			if err != nil {
				t.Fatalf("Profile(%q) error: %v", name, err)
			}
			if err := s.Validate(); err != nil {
				t.Errorf("Profile(%q).Validate() = %v", name, err)
			}
			for _, d := range s.Documents {
				if w := revealingWord(d.Code); w != "" {
					t.Errorf("Profile(%q) document %q reveals %q", name, d.Code, w)
				}
			}
		})
	}
	idnyc, err := Profile("idnyc")
	if err != nil {
		t.Fatal(err)
	}
	e := idnyc.Evidence
	if e.Mode != ModePoints || e.IdentityPoints != 3 || e.ResidencyPoints != 1 || !e.RequirePhoto || !e.RequireDOB || e.MinimumAge != 10 {
		t.Errorf("Profile(idnyc).Evidence = %+v, want points 3+1, photo, dob, minimum age 10", e)
	}
	if idnyc.Fees.Adult != 0 || idnyc.Card.ValidityYears != 5 {
		t.Errorf("Profile(idnyc) adult fee %d validity %d, want 0 and 5", idnyc.Fees.Adult, idnyc.Card.ValidityYears)
	}
	p, ok := idnyc.Document("passport")
	if !ok || p.IdentityPoints != 3 || p.ExpiredIdentityPoints != 2 || p.ExpiredGraceYears != 3 {
		t.Errorf("Profile(idnyc) passport = %+v, want 3 points, 2 if expired < 3 years", p)
	}
	if _, ok := idnyc.Document("rent_receipt"); ok {
		t.Error("Profile(idnyc) kept New Haven's rent_receipt: documents must replace, not merge")
	}
	// Keys the profile omits come from the defaults.
	if diff := cmp.Diff(Default().Review, idnyc.Review); diff != "" {
		t.Errorf("Profile(idnyc).Review not the default (-want +got):\n%s", diff)
	}
	if _, err := Profile("atlantis"); err == nil {
		t.Error("Profile(atlantis) error = nil, want unknown profile")
	}
}

// docs is a minimal catalogue so test files validate.
const docs = `
[[documents]]
code = "passport"
identity_points = 1
has_photo = true
has_dob = true

[[documents]]
code = "utility_bill"
residency_points = 1
`

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"negative fee", "[fees]\nadult = -5\n",
			[]string{"cityid.toml:2: fees.adult: must be 0 or more (got -5)"}},
		{"several problems at once", "# comment\n[fees]\nadult = -5\n\nchild = -1\ncurrency = \"usd\"\n[card]\nvalidity_years = 0\n",
			[]string{
				"cityid.toml:3: fees.adult: must be 0 or more (got -5)",
				"cityid.toml:5: fees.child: must be 0 or more (got -1)",
				`cityid.toml:6: fees.currency: "usd" is not an ISO 4217 currency code such as "USD"`,
				"cityid.toml:8: card.validity_years: must be between 1 and 20 (got 0)",
			}},
		{"dotted key at top level", "fees.adult = -5\n",
			[]string{"cityid.toml:1: fees.adult: must be 0 or more (got -5)"}},
		{"inline table", "fees = { adult = 1000, child = -3 }\n",
			[]string{"cityid.toml:1: fees.child: must be 0 or more (got -3)"}},
		{"third documents block", docs + "\n[[documents]]\ncode = \"lease\"\n# nothing\nresidency_points = -1\n",
			[]string{
				"cityid.toml:15: documents[3].residency_points: must be 0 or more (got -1)",
				"cityid.toml:12: documents[3]: proves nothing: set identity_points or residency_points above 0",
			}},
		{"duplicate document code", docs + "\n[[documents]]\ncode = \"passport\"\nidentity_points = 1\n",
			[]string{`cityid.toml:13: documents[3].code: "passport" is already used by documents[1]`}},
		{"revealing document code", docs + "\n[[documents]]\ncode = \"green_card\"\nidentity_points = 1\n",
			[]string{`cityid.toml:13: documents[3].code: "green_card" would record immigration status, nationality or a number ("green_card"); record a neutral document type`}},
		{"document names in unknown language", docs + "\n[[documents]]\ncode = \"library_card\"\nidentity_points = 1\nnames = { en = \"Library card\", fr = \"Carte\" }\n",
			[]string{`cityid.toml:15: documents[3].names.fr: language "fr" is not in program.languages`}},
		{"expired points above points", "[[documents]]\ncode = \"passport\"\nidentity_points = 1\nhas_dob = true\nexpired_identity_points = 2\nexpired_grace_years = 3\n[[documents]]\ncode = \"lease\"\nresidency_points = 1\n",
			[]string{"cityid.toml:5: documents[1].expired_identity_points: must be between 0 and 1 (got 2)"}},
		{"sub-table of a documents block", docs + "[documents.names]\nen = \"\"\n",
			[]string{"cityid.toml:12: documents[2].names.en: must not be empty"}},
		{"multi-line values keep lines right", "[fees]\npayment_methods = [\n  \"cash\", # the usual\n  \"waiver\",\n]\nwaiver_reasons = [\"a\"]\n[program]\nname = \"\"\"\nx\n\"\"\"\ncity = \"\"\n",
			[]string{
				`cityid.toml:2: fees.payment_methods[2]: "waiver" is reserved`,
				"cityid.toml:11: program.city: must not be empty",
			}},
		{"language without translations", "[program]\nlanguages = [\"en\", \"es\", \"zh\"]\n",
			[]string{`cityid.toml:2: program.languages[3]: "zh" has no translations in this version of cityid (it has en, es)`}},
		{"bad issuer url", "[program]\nissuer_url = \"http://id.example.gov\"\n",
			[]string{`cityid.toml:2: program.issuer_url: "http://id.example.gov" must use https (http is allowed only for localhost)`}},
		{"unknown time zone", "[program]\ntime_zone = \"Mars/Olympus\"\n",
			[]string{`cityid.toml:2: program.time_zone: "Mars/Olympus" is not a time zone name such as "America/New_York"`}},
		{"title missing default language", "[program]\nlanguages = [\"es\", \"en\"]\n[program.title]\nen = \"Resident Card\"\n",
			[]string{`cityid.toml:3: program.title: must give the card title in the default language "es"`}},
		{"bad language code", "[program]\nlanguages = [\"en\", \"Spanish!\"]\n",
			[]string{
				`cityid.toml:2: program.languages[2]: "Spanish!" is not a language code such as "en" or "es"`,
				`cityid.toml:1: program.title.es: language "es" is not in program.languages`,
			}},
		{"linkage order", "[linkage]\nauto_clear = 0.5\nreview = 0.4\nstrong_match = 1.5\n",
			[]string{
				"cityid.toml:4: linkage.strong_match: must be a probability between 0 and 1 (got 1.5)",
				"cityid.toml:3: linkage.review: must be at least linkage.auto_clear (0.5) (got 0.4)",
			}},
		{"documents unreachable", "[evidence]\nidentity_documents = 2\n" + docs,
			[]string{"cityid.toml:2: evidence.identity_documents: asks for 2 but the whole catalogue offers only 1"}},
		{"nothing required", "[evidence]\nidentity_documents = 0\nresidency_documents = 0\n",
			[]string{"cityid.toml:2: evidence.identity_documents: at least one identity or residency document must be required"}},
		{"evidence mode", "[evidence]\nmode = \"vibes\"\n",
			[]string{`cityid.toml:2: evidence.mode: "vibes" must be "documents" or "points"`}},
		{"points unreachable", "[evidence]\nmode = \"points\"\nidentity_points = 3\nresidency_points = 1\n" + docs,
			[]string{"cityid.toml:3: evidence.identity_points: asks for 3 but the whole catalogue offers only 1"}},
		{"photo required but none has one", "[evidence]\nrequire_photo = true\n[[documents]]\ncode = \"birth_certificate\"\nidentity_points = 1\nhas_dob = true\n[[documents]]\ncode = \"lease\"\nresidency_points = 1\n",
			[]string{"cityid.toml:2: evidence.require_photo: no document in the catalogue has has_photo = true"}},
		{"printed field", "[card]\nprinted_fields = [\"sex\", \"religion\"]\n",
			[]string{`cityid.toml:2: card.printed_fields[2]: "religion" is not a printable field (choose from sex, address, emergency_contact, veteran, organ_donor)`}},
		{"colour and iin", "[card]\nprimary_color = \"blue\"\naamva_iin = \"63601\"\n",
			[]string{
				`cityid.toml:2: card.primary_color: "blue" is not a colour like "#0b3d91"`,
				`cityid.toml:3: card.aamva_iin: "63601" must be 6 digits`,
			}},
		{"security idle above session", "[security]\nsession_hours = 1\nidle_minutes = 90\n",
			[]string{"cityid.toml:3: security.idle_minutes: must be between 1 and 60 (got 90)"}},
		{"program text required", "[program]\ncity = \" \"\nstate = \"\"\nname = \"\"\n",
			[]string{
				"cityid.toml:2: program.city: must not be empty",
				"cityid.toml:3: program.state: must not be empty",
				"cityid.toml:4: program.name: must not be empty",
			}},
		{"title in a language not offered", "[program.title]\nen = \"Card\"\nfr = \"Carte\"\n",
			[]string{`cityid.toml:3: program.title.fr: language "fr" is not in program.languages`}},
		{"language listed twice", "[program]\nlanguages = [\"en\", \"es\", \"en\"]\n",
			[]string{`cityid.toml:2: program.languages[3]: "en" is listed twice`}},
		{"issuer url not absolute", "[program]\nissuer_url = \"id.example.gov\"\n",
			[]string{`cityid.toml:2: program.issuer_url: "id.example.gov" is not an absolute URL like "https://id.example.gov"`}},
		{"http allowed on localhost", "[program]\nissuer_url = \"http://localhost:8080\"\n[fees]\nadult = -1\n",
			[]string{"cityid.toml:4: fees.adult: must be 0 or more (got -1)"}},
		{"payment methods needed when a fee is charged", "[fees]\npayment_methods = []\n",
			[]string{"cityid.toml:2: fees.payment_methods: must list at least one code"}},
		{"bad and repeated codes", "[fees]\nwaiver_reasons = [\"Hardship\", \"other\", \"other\"]\n[review]\nreject_reasons = []\n",
			[]string{
				`cityid.toml:2: fees.waiver_reasons[1]: "Hardship": a code is a lower-case letter then letters, digits or _ (at most 40)`,
				`cityid.toml:2: fees.waiver_reasons[3]: "other" is listed twice`,
				"cityid.toml:4: review.reject_reasons: must list at least one code",
			}},
		{"ages out of range", "[fees]\nchild_under_age = 200\nsenior_from_age = 10\n",
			[]string{
				"cityid.toml:2: fees.child_under_age: must be between 0 and 125 (got 200)",
				"cityid.toml:3: fees.senior_from_age: must be between 200 and 125 (got 10)",
			}},
		{"senior below child age", "[fees]\nsenior_from_age = 12\n",
			[]string{"cityid.toml:2: fees.senior_from_age: must be between 18 and 125 (got 12)"}},
		{"card windows", "[card]\nchild_validity_years = 0\nrenewal_window_before_days = 400\nrenewal_window_after_days = -1\naamva_jurisdiction_version = 100\n",
			[]string{
				"cityid.toml:2: card.child_validity_years: must be between 1 and 20 (got 0)",
				"cityid.toml:3: card.renewal_window_before_days: must be between 0 and 365 (got 400)",
				"cityid.toml:4: card.renewal_window_after_days: must be between 0 and 3650 (got -1)",
				"cityid.toml:5: card.aamva_jurisdiction_version: must be between 0 and 99 (got 100)",
			}},
		{"evidence ages", "[evidence]\nminimum_age = -1\ncaretaker_max_age = 126\n",
			[]string{
				"cityid.toml:2: evidence.minimum_age: must be between 0 and 125 (got -1)",
				"cityid.toml:3: evidence.caretaker_max_age: must be between 0 and 125 (got 126)",
			}},
		{"document age limits and grace", "[[documents]]\ncode = \"passport\"\nidentity_points = 2\nhas_dob = true\nexpired_identity_points = 1\nmin_age = 30\nmax_age = 20\n[[documents]]\ncode = \"lease\"\nresidency_points = 1\n",
			[]string{
				"cityid.toml:5: documents[1].expired_identity_points: needs expired_grace_years above 0, or expired documents never count",
				"cityid.toml:7: documents[1].max_age: must be at least min_age (30) (got 20)",
			}},
		{"bad document code", "[[documents]]\ncode = \"Pass Port\"\nidentity_points = 1\nhas_dob = true\n[[documents]]\ncode = \"\"\nresidency_points = 1\n",
			[]string{
				`cityid.toml:2: documents[1].code: "Pass Port": a code is a lower-case letter then letters, digits or _ (at most 40)`,
				"cityid.toml:6: documents[2].code: must not be empty",
			}},
		{"empty catalogue", "documents = []\n",
			[]string{
				"cityid.toml:1: documents: the catalogue must list at least one [[documents]] entry",
				"cityid.toml: evidence.identity_documents: asks for 1 but the whole catalogue offers only 0",
				"cityid.toml: evidence.residency_documents: asks for 1 but the whole catalogue offers only 0",
				"cityid.toml: evidence.require_dob: no document in the catalogue has has_dob = true",
			}},
		{"photo, review, retention", "[photo]\nwidth = 50\nheight = 5000\nmax_upload_mb = 0\n[retention]\ndraft_days = 0\nrejected_days = -1\ncardholder_after_expiry_days = 4000\nno_list_grace_days = 366\n",
			[]string{
				"cityid.toml:2: photo.width: must be between 100 and 4000 (got 50)",
				"cityid.toml:3: photo.height: must be between 100 and 4000 (got 5000)",
				"cityid.toml:4: photo.max_upload_mb: must be between 1 and 50 (got 0)",
				"cityid.toml:6: retention.draft_days: must be between 1 and 3650 (got 0)",
				"cityid.toml:7: retention.rejected_days: must be between 1 and 3650 (got -1)",
				"cityid.toml:8: retention.cardholder_after_expiry_days: must be between 1 and 3650 (got 4000)",
				"cityid.toml:9: retention.no_list_grace_days: must be between 0 and 365 (got 366)",
			}},
		{"security limits", "[security]\nsession_hours = 0\nlogin_max_attempts = 0\nlockout_minutes = 0\n",
			[]string{
				"cityid.toml:2: security.session_hours: must be between 1 and 168 (got 0)",
				"cityid.toml:3: security.login_max_attempts: must be between 1 and 100 (got 0)",
				"cityid.toml:4: security.lockout_minutes: must be between 1 and 10080 (got 0)",
			}},
		{"unknown key with suggestion", "[fees]\nadullt = 1000\n",
			[]string{`cityid.toml:2: fees.adullt: unknown setting (did you mean "fees.adult"?)`}},
		{"unknown table reported once", "[fess]\nadult = 1000\nchild = 500\n",
			[]string{`cityid.toml:1: fess: unknown setting (did you mean "fees"?)`}},
		{"unknown key in every documents block", docs + "number = 5\n",
			[]string{"cityid.toml:11: documents.number: unknown setting"}},
		{"unknown key in two documents blocks", "[[documents]]\ncode = \"passport\"\nidentity_points = 1\nhas_dob = true\nphoto = true\n[[documents]]\ncode = \"lease\"\nresidency_points = 1\nphoto = false\n",
			[]string{
				`cityid.toml:5: documents.photo: unknown setting (did you mean "documents.has_photo"?)`,
				`cityid.toml:9: documents.photo: unknown setting (did you mean "documents.has_photo"?)`,
			}},
		{"syntax error", "[fees]\nadult = 1000\nchild = \n",
			nil}, // checked below: line 3
		{"wrong type", "[fees]\n\nadult = \"ten dollars\"\n",
			[]string{"cityid.toml:3: fees.adult: must be a whole number (got text)"}},
		{"wrong type in an earlier documents block", "[[documents]]\ncode = \"passport\"\nidentity_points = 1.5\nhas_dob = true\n[[documents]]\ncode = \"lease\"\nidentity_points = 0\n",
			[]string{"cityid.toml:3: documents.identity_points: must be a whole number (got a decimal number)"}},
		{"wrong type in a later documents block", docs + "\n[[documents]]\ncode = \"lease\"\nhas_dob = \"yes\"\n",
			[]string{"cityid.toml:14: documents.has_dob: must be true or false (got text)"}},
		{"list expected", "[fees]\npayment_methods = \"cash\"\n",
			[]string{`cityid.toml:2: fees.payment_methods: must be a list like ["a", "b"] (got text)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("cityid.toml", []byte(tt.in))
			if err == nil {
				t.Fatalf("Parse(%q) error = nil, want problems", tt.in)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Parse error %v does not wrap ErrInvalid", err)
			}
			if tt.want == nil {
				var e *Error
				if !errors.As(err, &e) || len(e.Problems) != 1 || e.Problems[0].Line != 3 {
					t.Errorf("Parse(%q) = %v, want one problem on line 3", tt.in, err)
				}
				if !strings.HasPrefix(err.Error(), "cityid.toml:3: ") {
					t.Errorf("Parse(%q) = %q, want prefix cityid.toml:3:", tt.in, err)
				}
				return
			}
			got := strings.Split(err.Error(), "\n")
			if diff := cmp.Diff(slices.Sorted(slices.Values(tt.want)), slices.Sorted(slices.Values(got))); diff != "" {
				t.Errorf("Parse(%q) problems mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseOverlaysDefaults(t *testing.T) {
	s, err := Parse("cityid.toml", []byte("[fees]\nadult = 1500\n[program]\nlanguages = [\"es\", \"en\"]\n[program.title]\nes = \"Tarjeta\"\n"+docs))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Fees.Adult = 1500
	want.Program.Languages = []string{"es", "en"}
	want.Program.Title = map[string]string{"es": "Tarjeta"}
	want.Documents = []Document{
		{Code: "passport", IdentityPoints: 1, HasPhoto: true, HasDOB: true},
		{Code: "utility_bill", ResidencyPoints: 1},
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}
}

func TestValidateWithoutFile(t *testing.T) {
	s := Default()
	s.Fees.Adult = -5
	err := s.Validate()
	if err == nil || err.Error() != "fees.adult: must be 0 or more (got -5)" {
		t.Errorf("Validate() = %v, want fees.adult: must be 0 or more (got -5)", err)
	}
}

func TestWriteDefaultRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cityid-data", "cityid.toml")
	if err := WriteDefault(path); err != nil {
		t.Fatalf("WriteDefault: %v", err)
	}
	s, err := Load(path)
	if err != nil {
		t.Fatalf("Load(written default): %v", err)
	}
	if diff := cmp.Diff(Default(), s); diff != "" {
		t.Errorf("Load(WriteDefault()) differs from Default() (-want +got):\n%s", diff)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "# ") {
		t.Error("default file has no comments")
	}
	if err := WriteDefault(path); err == nil || !errors.Is(err, os.ErrExist) {
		t.Errorf("WriteDefault over an existing file = %v, want an os.ErrExist error", err)
	}
}

func TestLoadSealImage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cityid.toml")
	if err := os.WriteFile(path, []byte("[card]\n\nseal_image = \"seal.png\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.HasPrefix(err.Error(), "cityid.toml:3: card.seal_image: cannot read the image") {
		t.Errorf("Load with a missing seal = %v, want cityid.toml:3: card.seal_image: cannot read the image...", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "seal.png"), []byte("png"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err != nil {
		t.Errorf("Load with the seal present = %v, want nil", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.toml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want os.ErrNotExist", err)
	}
}

func TestWarnings(t *testing.T) {
	s := Default()
	want := []Problem{{Key: "card.aamva_iin", Msg: "990000 is a placeholder that belongs to no issuer"}}
	if diff := cmp.Diff(want, s.Warnings()); diff != "" {
		t.Errorf("Default().Warnings() mismatch (-want +got):\n%s", diff)
	}
	s.Card.AAMVAIIN = "636000"
	s.Program.IssuerURL = "http://localhost:8080"
	want = []Problem{{Key: "program.issuer_url", Msg: "plain http is only for trying cityid on one machine"}}
	if diff := cmp.Diff(want, s.Warnings()); diff != "" {
		t.Errorf("Warnings() mismatch (-want +got):\n%s", diff)
	}
}

func TestDocumentName(t *testing.T) {
	fallback := func(key string, _ ...any) string { return "[" + key + "]" }
	custom := Document{Code: "library_card", Names: map[string]string{"en": "Library card", "es": "Tarjeta de biblioteca"}}
	for _, tt := range []struct {
		d    Document
		lang string
		want string
	}{
		{custom, "es", "Tarjeta de biblioteca"},
		{custom, "fr", "[document.library_card]"},
		{Document{Code: "passport"}, "en", "[document.passport]"},
	} {
		if got := DocumentName(tt.d, tt.lang, fallback); got != tt.want {
			t.Errorf("DocumentName(%s, %s) = %q, want %q", tt.d.Code, tt.lang, got, tt.want)
		}
	}
}

func TestScanKeys(t *testing.T) {
	in := `# top
title = "x" # comment
"quoted.key" = 1
[a]
b.c = [1, 2,
  3]
d = '''
x = 1
'''
e = { f = 1, g = [ {h = 2}, {h = 3} ] }
[[arr]]
k = 1
[[arr]]
k = "a\"b"
[arr.sub]
m = 1979-05-27 07:32:00
[ 'lit' . "q" ]
n = """a \"""
"""
o = 1
`
	got := scanKeys([]byte(in))
	want := map[string]int{
		"title": 2, "quoted.key": 3, "a": 4, "a.b.c": 5, "a.d": 7, "a.e": 10, "a.e.f": 10,
		"a.e.g": 10, "a.e.g[1].h": 10, "a.e.g[2].h": 10, "arr[1]": 11, "arr[1].k": 12, "arr[2]": 13,
		"arr[2].k": 14, "arr[2].sub": 15, "arr[2].sub.m": 16, "lit.q": 17, "lit.q.n": 18, "lit.q.o": 20,
	}
	if diff := cmp.Diff(want, got.at); diff != "" {
		t.Errorf("scanKeys lines mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{12, 14}, got.all["arr.k"]); diff != "" {
		t.Errorf("scanKeys all[arr.k] mismatch (-want +got):\n%s", diff)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range Profiles() {
		data, err := ProfileText(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("[fees]\nadult = -5\n"))
	f.Add([]byte("[[documents]]\ncode = \"x\"\n[documents.names]\nen = \"\"\"\na\n\"\"\"\n"))
	f.Add([]byte("a = [[[[{b = 'c'}]]]]\n"))
	f.Add([]byte("x = \"\\"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.toml", data)
		if err == nil {
			if verr := s.Validate(); verr != nil {
				t.Errorf("Parse accepted settings that Validate rejects: %v", verr)
			}
		} else if !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse error %v does not wrap ErrInvalid", err)
		}
		lines := scanKeys(data)
		for _, ls := range lines.all {
			for _, l := range ls {
				if l < 1 || l > strings.Count(string(data), "\n")+1 {
					t.Errorf("scanKeys line %d outside the file", l)
				}
			}
		}
	})
}

// TestDocsErrorExample keeps the error example in docs/settings.md true: it
// is the output for the generated file with the six edits below.
func TestDocsErrorExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/settings.md")
	if err != nil {
		t.Skipf("docs/settings.md not found: %v", err)
	}
	_, block, ok := strings.Cut(string(doc), "```text\n")
	block, _, _ = strings.Cut(block, "```")
	if !ok {
		t.Fatal("docs/settings.md has no ```text block")
	}
	data, err := ProfileText(DefaultProfile)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, e := range [][2]string{
		{"adult = 1000", "adult = -5"},
		{`currency = "USD"`, `currency = "usd"`},
		{`printed_fields = ["sex",`, `printed_fields = ["religion", "sex",`},
		{"code = \"utility_bill\"\nresidency_points = 1", "code = \"utility_bill\"\nresidency_points = -1"},
		{"code = \"lease\"\nresidency_points = 1", "code = \"lease\"\nresidency_points = 1\nphoto = false"},
		{"session_hours = 12", "sesion_hours = 12"},
	} {
		if !strings.Contains(s, e[0]) {
			t.Fatalf("default profile no longer contains %q", e[0])
		}
		s = strings.Replace(s, e[0], e[1], 1)
	}
	_, err = Parse("cityid.toml", []byte(s))
	if err == nil {
		t.Fatal("Parse(edited default) error = nil")
	}
	if diff := cmp.Diff(strings.TrimSpace(block), err.Error()); diff != "" {
		t.Errorf("docs/settings.md error example is stale (-doc +actual):\n%s", diff)
	}
}

func TestExampleValues(t *testing.T) {
	for _, tc := range []struct {
		issuer string
		want   bool
	}{
		{"https://id.newhavenct.gov", true},
		{"https://id.newhavenct.gov/", true},
		{"https://idnyc.example.org", true},
		{"https://id.springfield.example", true},
		{"https://id.springfield.gov", false},
		{"https://cityid.lawrence-ma.gov", false},
	} {
		s := Default()
		s.Program.IssuerURL = tc.issuer
		got := s.ExampleValues()
		if (len(got) > 0) != tc.want {
			t.Errorf("ExampleValues(%q) = %v, want problems %v", tc.issuer, got, tc.want)
		}
		if len(got) > 0 && (got[0].Key != "program.issuer_url" || !strings.Contains(got[0].Msg, "your program's own web address")) {
			t.Errorf("ExampleValues(%q) = %+v: does not say what to change", tc.issuer, got[0])
		}
	}
}
