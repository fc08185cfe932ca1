package fee

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/i18n"
	"github.com/cityid/cityid/internal/person"
)

var today = person.Date{Year: 2026, Month: 11, Day: 28}

func newHaven(t *testing.T) config.Fees {
	t.Helper()
	return config.Default().Fees
}

func TestCompute(t *testing.T) {
	nh := newHaven(t)
	withSenior := nh
	withSenior.Senior, withSenior.SeniorFromAge = 700, 65
	tests := []struct {
		name string
		f    config.Fees
		kind Kind
		dob  person.Date
		want Quote
	}{
		{"adult new", nh, KindNew, person.Date{Year: 1990, Month: 7, Day: 25}, Quote{KindNew, CategoryAdult, 1000, "USD"}},
		{"child the day before 18", nh, KindNew, person.Date{Year: 2008, Month: 11, Day: 29}, Quote{KindNew, CategoryChild, 500, "USD"}},
		{"adult on the 18th birthday", nh, KindNew, person.Date{Year: 2008, Month: 11, Day: 28}, Quote{KindNew, CategoryAdult, 1000, "USD"}},
		{"child renewal costs the child fee", nh, KindRenewal, person.Date{Year: 2015, Month: 1, Day: 1}, Quote{KindRenewal, CategoryChild, 500, "USD"}},
		{"child replacement costs the replacement fee", nh, KindReplacement, person.Date{Year: 2015, Month: 1, Day: 1}, Quote{KindReplacement, CategoryChild, 1000, "USD"}},
		{"no senior fee in New Haven", nh, KindNew, person.Date{Year: 1940, Month: 1, Day: 1}, Quote{KindNew, CategoryAdult, 1000, "USD"}},
		{"senior fee when set", withSenior, KindNew, person.Date{Year: 1961, Month: 11, Day: 28}, Quote{KindNew, CategorySenior, 700, "USD"}},
		{"64 is not senior", withSenior, KindNew, person.Date{Year: 1961, Month: 11, Day: 29}, Quote{KindNew, CategoryAdult, 1000, "USD"}},
		{"unknown date of birth is adult", nh, KindNew, person.Date{}, Quote{KindNew, CategoryAdult, 1000, "USD"}},
		{"unknown kind charged as new", nh, Kind("bogus"), person.Date{Year: 1990, Month: 1, Day: 1}, Quote{Kind("bogus"), CategoryAdult, 1000, "USD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compute(tt.f, tt.kind, tt.dob, today)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Compute(%s, %v) mismatch (-want +got):\n%s", tt.kind, tt.dob, diff)
			}
		})
	}
	idnyc, err := config.Profile("idnyc")
	if err != nil {
		t.Fatal(err)
	}
	if q := Compute(idnyc.Fees, KindNew, person.Date{Year: 1990, Month: 1, Day: 1}, today); q.AmountCents != 0 {
		t.Errorf("IDNYC new card = %d cents, want free", q.AmountCents)
	}
	if q := Compute(idnyc.Fees, KindReplacement, person.Date{Year: 1990, Month: 1, Day: 1}, today); q.AmountCents != 1000 {
		t.Errorf("IDNYC replacement = %d cents, want 1000", q.AmountCents)
	}
}

func TestValidatePayment(t *testing.T) {
	nh := newHaven(t)
	noWaivers := nh
	noWaivers.WaiverReasons = nil
	adult := Quote{KindNew, CategoryAdult, 1000, "USD"}
	free := Quote{KindNew, CategoryAdult, 0, "USD"}
	fe := func(field, key string) person.FieldError { return person.FieldError{Field: field, Key: key} }
	tests := []struct {
		name string
		f    config.Fees
		q    Quote
		p    Payment
		want person.Errors
	}{
		{"cash, right amount", nh, adult, Payment{Method: "cash", AmountCents: 1000}, nil},
		{"card, wrong amount", nh, adult, Payment{Method: "card", AmountCents: 500}, person.Errors{fe("payment_amount", "fee.error.amount_mismatch")}},
		{"unknown method", nh, adult, Payment{Method: "bitcoin", AmountCents: 1000}, person.Errors{fe("payment_method", "error.invalid_choice")}},
		{"nothing paid", nh, adult, Payment{}, person.Errors{fe("payment_method", "fee.error.payment_required")}},
		{"waiver with reason", nh, adult, Payment{Method: MethodWaiver, WaiverReason: "homeless"}, nil},
		{"waiver as reason without method", nh, adult, Payment{WaiverReason: "hardship"}, nil},
		{"waiver without reason", nh, adult, Payment{Method: MethodWaiver}, person.Errors{fe("waiver_reason", "fee.error.waiver_reason_required")}},
		{"waiver with unknown reason", nh, adult, Payment{Method: MethodWaiver, WaiverReason: "friend"}, person.Errors{fe("waiver_reason", "error.invalid_choice")}},
		{"other waiver needs a note", nh, adult, Payment{Method: MethodWaiver, WaiverReason: "other"}, person.Errors{fe("waiver_note", "fee.error.waiver_note_required")}},
		{"other waiver with a note", nh, adult, Payment{Method: MethodWaiver, WaiverReason: "other", WaiverNote: "partner agency referral"}, nil},
		{"waiver note too long", nh, adult, Payment{Method: MethodWaiver, WaiverReason: "other", WaiverNote: string(make([]byte, 201))}, person.Errors{fe("waiver_note", "error.too_long")}},
		{"waiver with an amount", nh, adult, Payment{Method: MethodWaiver, WaiverReason: "hardship", AmountCents: 500}, person.Errors{fe("payment_amount", "fee.error.waiver_with_amount")}},
		{"payment and waiver reason", nh, adult, Payment{Method: "cash", AmountCents: 1000, WaiverReason: "hardship"}, person.Errors{fe("waiver_reason", "fee.error.waiver_with_payment")}},
		{"program without waivers", noWaivers, adult, Payment{Method: MethodWaiver, WaiverReason: "hardship"}, person.Errors{fe("payment_method", "fee.error.waiver_not_offered")}},
		{"free card, nothing paid", nh, free, Payment{}, nil},
		{"free card, money taken", nh, free, Payment{AmountCents: 100}, person.Errors{fe("payment_amount", "fee.error.amount_mismatch")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ValidatePayment(tt.f, tt.q, tt.p)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ValidatePayment(%+v) mismatch (-want +got):\n%s", tt.p, diff)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		cents     int
		cur, lang string
		want      string
	}{
		{1000, "USD", "en", "$10.00"},
		{500, "USD", "es", "$5.00"},
		{5, "USD", "en", "$0.05"},
		{0, "USD", "en", "$0.00"},
		{123456789, "USD", "en", "$1,234,567.89"},
		{-250, "USD", "en", "-$2.50"},
		{1250, "EUR", "en", "€12.50"},
		{125050, "EUR", "es", "1.250,50 €"},
		{500, "CAD", "en", "CAD 5.00"},
		{1000, "JPY", "en", "JPY 1,000"},
	}
	for _, tt := range tests {
		if got := Format(tt.cents, tt.cur, tt.lang); got != tt.want {
			t.Errorf("Format(%d, %s, %s) = %q, want %q", tt.cents, tt.cur, tt.lang, got, tt.want)
		}
	}
}

// TestMessages checks that every code a shipped profile uses for fees and
// review has text in every shipped language.
func TestMessages(t *testing.T) {
	b, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"fee.kind.new", "fee.kind.renewal", "fee.kind.replacement",
		"fee.category.adult", "fee.category.child", "fee.category.senior", "fee.method.waiver", "fee.free",
		"fee.error.amount_mismatch", "fee.error.payment_required", "fee.error.waiver_reason_required",
		"fee.error.waiver_note_required", "fee.error.waiver_not_offered", "fee.error.waiver_with_amount",
		"fee.error.waiver_with_payment", "error.invalid_choice", "error.too_long"}
	for _, name := range config.Profiles() {
		s, err := config.Profile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range s.Fees.PaymentMethods {
			keys = append(keys, "fee.method."+m)
		}
		for _, w := range s.Fees.WaiverReasons {
			keys = append(keys, "fee.waiver."+w)
		}
		for _, r := range s.Review.RejectReasons {
			keys = append(keys, "review.reason."+r)
		}
	}
	for _, key := range keys {
		for _, lang := range b.Languages() {
			if got := b.T(lang, key); got == key {
				t.Errorf("T(%s, %s) has no translation", lang, key)
			}
		}
	}
}
