package evidence

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/i18n"
	"github.com/cityid/cityid/internal/person"
)

var today = person.Date{Year: 2026, Month: 11, Day: 28}

func yearsAgo(n int) person.Date { return today.AddYears(-n) }

func docs(types ...string) []Shown {
	out := make([]Shown, len(types))
	for i, t := range types {
		out[i] = Shown{Type: t}
	}
	return out
}

func profile(t *testing.T, name string) config.Settings {
	t.Helper()
	s, err := config.Profile(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type evalCase struct {
	name string
	in   Input
	want Result
}

func run(t *testing.T, s config.Settings, tests []evalCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.in.Today.IsZero() {
				tt.in.Today = today
			}
			got := Evaluate(s.Evidence, s.Documents, tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Evaluate(%+v) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestEvaluateNewHaven(t *testing.T) {
	run(t, profile(t, "new-haven"), []evalCase{
		{"passport and utility bill", Input{Shown: docs("passport", "utility_bill"), Age: 34},
			Result{OK: true, IdentityPoints: 1, ResidencyPoints: 1, IdentityDocuments: 1, ResidencyDocuments: 1, HasPhoto: true, HasDOB: true}},
		{"identity only", Input{Shown: docs("consular_id"), Age: 34},
			Result{IdentityPoints: 1, IdentityDocuments: 1, HasPhoto: true, HasDOB: true,
				Missing: []Missing{{Key: KeyResidencyDocument, N: 1}}}},
		{"nothing shown", Input{Age: 34},
			Result{Missing: []Missing{{Key: KeyIdentityDocument, N: 1}, {Key: KeyResidencyDocument, N: 1}, {Key: KeyDOBDocument}}}},
		{"local licence proves both", Input{Shown: docs("driver_license_local"), Age: 50},
			Result{OK: true, IdentityPoints: 1, ResidencyPoints: 1, IdentityDocuments: 1, ResidencyDocuments: 1, HasPhoto: true, HasDOB: true}},
		{"two residency documents, no identity", Input{Shown: docs("utility_bill", "lease"), Age: 40},
			Result{ResidencyPoints: 2, ResidencyDocuments: 2,
				Missing: []Missing{{Key: KeyIdentityDocument, N: 1}, {Key: KeyDOBDocument}}}},
		{"expired passport does not count", Input{Shown: []Shown{{Type: "passport", Expires: yearsAgo(1)}, {Type: "lease"}}, Age: 40},
			Result{ResidencyPoints: 1, ResidencyDocuments: 1,
				Missing: []Missing{{Key: KeyIdentityDocument, N: 1}, {Key: KeyDOBDocument}},
				Notes:   []Missing{{Key: NoteExpiredNotCounted, Document: "passport"}}}},
		{"passport expiring today still counts", Input{Shown: []Shown{{Type: "passport", Expires: today}, {Type: "lease"}}, Age: 40},
			Result{OK: true, IdentityPoints: 1, ResidencyPoints: 1, IdentityDocuments: 1, ResidencyDocuments: 1, HasPhoto: true, HasDOB: true}},
		{"unknown type blocks", Input{Shown: docs("passport", "library_card", "lease"), Age: 40},
			Result{IdentityPoints: 1, ResidencyPoints: 1, IdentityDocuments: 1, ResidencyDocuments: 1, HasPhoto: true, HasDOB: true,
				Missing: []Missing{{Key: KeyUnknownDocument, Document: "library_card"}}}},
		{"same type twice counts once", Input{Shown: docs("utility_bill", "passport", "utility_bill"), Age: 40},
			Result{OK: true, IdentityPoints: 1, ResidencyPoints: 1, IdentityDocuments: 1, ResidencyDocuments: 1, HasPhoto: true, HasDOB: true,
				Notes: []Missing{{Key: NoteDuplicateType, Document: "utility_bill"}}}},
		{"school record not for adults", Input{Shown: docs("passport", "school_record"), Age: 30},
			Result{IdentityPoints: 1, IdentityDocuments: 1, HasPhoto: true, HasDOB: true,
				Missing: []Missing{{Key: KeyResidencyDocument, N: 1}},
				Notes:   []Missing{{Key: NoteNotForAge, Document: "school_record"}}}},
		{"young child: birth certificate and school record", Input{Shown: docs("birth_certificate", "school_record"), Age: 6},
			Result{OK: true, IdentityPoints: 1, ResidencyPoints: 1, IdentityDocuments: 1, ResidencyDocuments: 1, HasDOB: true}},
		{"any age may apply", Input{Shown: docs("birth_certificate", "utility_bill"), Age: 0},
			Result{OK: true, IdentityPoints: 1, ResidencyPoints: 1, IdentityDocuments: 1, ResidencyDocuments: 1, HasDOB: true}},
	})
}

func TestEvaluateIDNYC(t *testing.T) {
	run(t, profile(t, "idnyc"), []evalCase{
		{"passport and utility bill", Input{Shown: docs("passport", "utility_bill"), Age: 30},
			Result{OK: true, IdentityPoints: 3, ResidencyPoints: 1, IdentityDocuments: 1, ResidencyDocuments: 1, HasPhoto: true, HasDOB: true}},
		{"passport expired 2 years ago counts 2", Input{Shown: []Shown{{Type: "passport", Expires: yearsAgo(2)}, {Type: "utility_bill"}}, Age: 30},
			Result{IdentityPoints: 2, ResidencyPoints: 1, IdentityDocuments: 1, ResidencyDocuments: 1, HasPhoto: true, HasDOB: true,
				Missing: []Missing{{Key: KeyIdentityPoints, N: 1}},
				Notes:   []Missing{{Key: NoteExpiredReducedPoints, N: 2, Document: "passport"}}}},
		{"expired passport plus EBT card", Input{Shown: []Shown{{Type: "passport", Expires: yearsAgo(2)}, {Type: "ebt_card"}, {Type: "lease"}}, Age: 30},
			Result{OK: true, IdentityPoints: 3, ResidencyPoints: 1, IdentityDocuments: 2, ResidencyDocuments: 1, HasPhoto: true, HasDOB: true,
				Notes: []Missing{{Key: NoteExpiredReducedPoints, N: 2, Document: "passport"}}}},
		{"passport expired 3 years ago does not count", Input{Shown: []Shown{{Type: "passport", Expires: yearsAgo(3)}, {Type: "lease"}}, Age: 30},
			Result{ResidencyPoints: 1, ResidencyDocuments: 1,
				Missing: []Missing{{Key: KeyIdentityPoints, N: 3}, {Key: KeyPhotoDocument}, {Key: KeyDOBDocument}},
				Notes:   []Missing{{Key: NoteExpiredNotCounted, Document: "passport"}}}},
		{"state licence with a city address counts for everything", Input{Shown: docs("driver_license_local"), Age: 45},
			Result{OK: true, IdentityPoints: 3, ResidencyPoints: 1, IdentityDocuments: 1, ResidencyDocuments: 1, HasPhoto: true, HasDOB: true}},
		{"under the minimum age", Input{Shown: docs("passport", "school_record"), Age: 9},
			Result{IdentityPoints: 3, ResidencyPoints: 1, IdentityDocuments: 1, ResidencyDocuments: 1, HasPhoto: true, HasDOB: true,
				Missing: []Missing{{Key: KeyTooYoung, N: 10}}}},
		{"minor without photo document", Input{Shown: docs("birth_certificate", "ebt_card", "school_record"), Age: 15},
			Result{IdentityPoints: 3, ResidencyPoints: 1, IdentityDocuments: 2, ResidencyDocuments: 1, HasDOB: true,
				Missing: []Missing{{Key: KeyPhotoDocument}}}},
		{"minor with caretaker needs no photo document", Input{Shown: docs("birth_certificate", "ebt_card", "school_record"), Age: 15, Caretaker: true},
			Result{OK: true, IdentityPoints: 3, ResidencyPoints: 1, IdentityDocuments: 2, ResidencyDocuments: 1, HasDOB: true,
				Notes: []Missing{{Key: NoteCaretakerPhotoWaived}}}},
		{"caretaker rule up to and including 21", Input{Shown: docs("birth_certificate", "itin_letter", "lease"), Age: 21, Caretaker: true},
			Result{OK: true, IdentityPoints: 3, ResidencyPoints: 1, IdentityDocuments: 2, ResidencyDocuments: 1, HasDOB: true,
				Notes: []Missing{{Key: NoteCaretakerPhotoWaived}}}},
		{"caretaker does not help at 22", Input{Shown: docs("birth_certificate", "itin_letter", "lease"), Age: 22, Caretaker: true},
			Result{IdentityPoints: 3, ResidencyPoints: 1, IdentityDocuments: 2, ResidencyDocuments: 1, HasDOB: true,
				Missing: []Missing{{Key: KeyPhotoDocument}},
				Notes:   []Missing{{Key: NoteCaretakerNotForAge, N: 21}}}},
		{"nothing shown", Input{Age: 30},
			Result{Missing: []Missing{{Key: KeyIdentityPoints, N: 3}, {Key: KeyResidencyPoints, N: 1}, {Key: KeyPhotoDocument}, {Key: KeyDOBDocument}}}},
		{"best of two passports counts", Input{Shown: []Shown{{Type: "passport", Expires: yearsAgo(5)}, {Type: "passport", Expires: today.AddYears(4)}, {Type: "lease"}}, Age: 30},
			Result{OK: true, IdentityPoints: 3, ResidencyPoints: 1, IdentityDocuments: 1, ResidencyDocuments: 1, HasPhoto: true, HasDOB: true,
				Notes: []Missing{{Key: NoteDuplicateType, Document: "passport"}}}},
		{"two birth certificates give 2 points, not 4", Input{Shown: docs("birth_certificate", "birth_certificate", "lease"), Age: 30},
			Result{IdentityPoints: 2, ResidencyPoints: 1, IdentityDocuments: 1, ResidencyDocuments: 1, HasDOB: true,
				Missing: []Missing{{Key: KeyIdentityPoints, N: 1}, {Key: KeyPhotoDocument}},
				Notes:   []Missing{{Key: NoteDuplicateType, Document: "birth_certificate"}}}},
	})
}

func TestMinimize(t *testing.T) {
	s := profile(t, "new-haven")
	in := []Shown{
		{Type: "passport", Issuer: "some country", Expires: today},
		{Type: "driver_license_local", Issuer: "CT"},
		{Type: "no_such_type", Issuer: "x"},
	}
	want := []Shown{{Type: "passport", Expires: today}, {Type: "driver_license_local", Issuer: "CT"}, {Type: "no_such_type"}}
	if diff := cmp.Diff(want, Minimize(s.Documents, in)); diff != "" {
		t.Errorf("Minimize mismatch (-want +got):\n%s", diff)
	}
	if in[0].Issuer != "some country" {
		t.Error("Minimize changed its input")
	}
}

// TestMessages checks that every key Evaluate produces reads in plain words
// in every shipped language, with the count filled in.
func TestMessages(t *testing.T) {
	b, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range Keys() {
		for _, lang := range b.Languages() {
			for _, n := range []int{1, 2} {
				if got := b.T(lang, key, "n", n); got == key || containsBrace(got) {
					t.Errorf("T(%s, %s, n=%d) = %q, want a translation with {n} filled", lang, key, n, got)
				}
			}
		}
	}
	want := map[string]string{
		"en 1": "1 more residency point", "en 2": "2 more residency points",
		"es 1": "Falta 1 punto de residencia", "es 2": "Faltan 2 puntos de residencia",
	}
	for _, lang := range []string{"en", "es"} {
		for _, n := range []int{1, 2} {
			k := lang + " " + string(rune('0'+n))
			if got := b.T(lang, KeyResidencyPoints, "n", n); got != want[k] {
				t.Errorf("T(%s, %s, n=%d) = %q, want %q", lang, KeyResidencyPoints, n, got, want[k])
			}
		}
	}
}

// TestDocumentNames checks that every document type in a shipped profile
// has a name in every shipped language.
func TestDocumentNames(t *testing.T) {
	b, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range config.Profiles() {
		s := profile(t, name)
		for _, d := range s.Documents {
			for _, lang := range b.Languages() {
				key := "document." + d.Code
				got := config.DocumentName(d, lang, func(k string, args ...any) string { return b.T(lang, k, args...) })
				if got == key {
					t.Errorf("profile %s: no %s name for document %q (message key %s)", name, lang, d.Code, key)
				}
			}
		}
	}
}

func containsBrace(s string) bool {
	for _, r := range s {
		if r == '{' || r == '}' {
			return true
		}
	}
	return false
}

// TestMoreDocumentsNeverHurt: showing one more catalogue document never
// turns an acceptable set into an unacceptable one, nor lowers the points.
func TestMoreDocumentsNeverHurt(t *testing.T) {
	for _, name := range config.Profiles() {
		s := profile(t, name)
		r := rand.New(rand.NewPCG(1, 2))
		for range 2000 {
			var shown []Shown
			for range r.IntN(5) {
				d := s.Documents[r.IntN(len(s.Documents))]
				sh := Shown{Type: d.Code}
				if r.IntN(3) == 0 {
					sh.Expires = today.AddYears(r.IntN(9) - 5)
				}
				shown = append(shown, sh)
			}
			in := Input{Shown: shown, Age: r.IntN(80), Today: today, Caretaker: r.IntN(2) == 0}
			before := Evaluate(s.Evidence, s.Documents, in)
			extra := s.Documents[r.IntN(len(s.Documents))]
			in.Shown = append(append([]Shown(nil), shown...), Shown{Type: extra.Code})
			after := Evaluate(s.Evidence, s.Documents, in)
			if before.OK && !after.OK || after.IdentityPoints < before.IdentityPoints || after.ResidencyPoints < before.ResidencyPoints {
				t.Fatalf("%s: adding %s to %+v: before %+v, after %+v", name, extra.Code, shown, before, after)
			}
		}
	}
}

func TestDatedWithin(t *testing.T) {
	today := person.Date{Year: 2026, Month: 3, Day: 2}
	bill := config.Document{Code: "utility_bill", ResidencyPoints: 1, DatedWithinDays: 90}
	for _, tc := range []struct {
		name  string
		doc   config.Document
		dated person.Date
		want  string
	}{
		{"today", bill, today, ""},
		{"90 days ago", bill, person.Date{Year: 2025, Month: 12, Day: 2}, ""},
		{"91 days ago", bill, person.Date{Year: 2025, Month: 12, Day: 1}, KeyDatedTooOld},
		{"tomorrow", bill, person.Date{Year: 2026, Month: 3, Day: 3}, KeyDatedFuture},
		{"not recorded", bill, person.Date{}, KeyDatedMissing},
		{"no rule", config.Document{Code: "lease", ResidencyPoints: 1}, person.Date{Year: 2001, Month: 1, Day: 1}, ""},
	} {
		if got := DatedProblem(tc.doc, tc.dated, today); got != tc.want {
			t.Errorf("%s: DatedProblem(%v) = %q, want %q", tc.name, tc.dated, got, tc.want)
		}
	}
	s := config.Evidence{Mode: config.ModeDocuments, IdentityDocuments: 1, ResidencyDocuments: 1}
	docs := []config.Document{{Code: "passport", IdentityPoints: 1}, bill}
	old := Evaluate(s, docs, Input{Today: today, Age: 30, Shown: []Shown{{Type: "passport"}, {Type: "utility_bill", Dated: person.Date{Year: 2025, Month: 11, Day: 1}}}})
	if old.OK || len(old.Notes) != 1 || old.Notes[0].Key != KeyDatedTooOld || old.Notes[0].N != 90 {
		t.Errorf("a bill dated 121 days ago: OK=%v notes=%v, want not OK with a too-old note (90)", old.OK, old.Notes)
	}
	recent := Evaluate(s, docs, Input{Today: today, Age: 30, Shown: []Shown{{Type: "passport"}, {Type: "utility_bill", Dated: person.Date{Year: 2026, Month: 2, Day: 1}}}})
	if !recent.OK {
		t.Errorf("a bill dated 29 days ago does not count: %v", recent.Missing)
	}
}
