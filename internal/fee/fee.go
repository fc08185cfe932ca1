// Package fee computes what a card costs and checks how it was paid or why
// it was waived.
package fee

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/currency"

	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/person"
)

// Kind is what the fee is for; its text is the message key "fee.kind.<kind>".
type Kind string

// Kinds.
const (
	KindNew         Kind = "new"
	KindRenewal     Kind = "renewal"
	KindReplacement Kind = "replacement"
)

// Valid reports whether k is one of the defined kinds.
func (k Kind) Valid() bool { return k == KindNew || k == KindRenewal || k == KindReplacement }

// Age categories; their text is the message key "fee.category.<category>".
const (
	CategoryAdult  = "adult"
	CategoryChild  = "child"
	CategorySenior = "senior"
)

// MethodWaiver is the payment method of a waived fee. It is never one of the
// program's payment methods (config rejects it there).
const MethodWaiver = "waiver"

// maxWaiverNote bounds the free-text waiver note; it should say little.
const maxWaiverNote = 200

// Quote is the fee due.
type Quote struct {
	Kind        Kind
	Category    string // CategoryAdult, CategoryChild or CategorySenior
	AmountCents int
	Currency    string
}

// Category is the applicant's age category on today. An unknown date of
// birth counts as adult.
func Category(f config.Fees, dob, today person.Date) string {
	if dob.IsZero() {
		return CategoryAdult
	}
	age := dob.AgeOn(today)
	switch {
	case age < f.ChildUnderAge:
		return CategoryChild
	case f.SeniorFromAge > 0 && age >= f.SeniorFromAge:
		return CategorySenior
	}
	return CategoryAdult
}

// Compute returns the fee for kind. New cards and renewals cost the fee of
// the holder's age category; a replacement costs fees.replacement. A kind
// that is not Valid is charged as a new card.
func Compute(f config.Fees, kind Kind, dob, today person.Date) Quote {
	q := Quote{Kind: kind, Category: Category(f, dob, today), Currency: f.Currency}
	switch {
	case kind == KindReplacement:
		q.AmountCents = f.Replacement
	case q.Category == CategoryChild:
		q.AmountCents = f.Child
	case q.Category == CategorySenior:
		q.AmountCents = f.Senior
	default:
		q.AmountCents = f.Adult
	}
	return q
}

// Payment records how a fee was settled: a method from fees.payment_methods
// and the amount, or a waiver with its reason. A payment with no method and
// a waiver reason is a waiver too.
type Payment struct {
	Method       string
	AmountCents  int
	WaiverReason string
	// WaiverNote explains an "other" waiver. Keep it short and free of
	// personal details: it is shown to staff and kept with the application.
	WaiverNote string
}

// IsWaiver reports whether p waives the fee.
func (p Payment) IsWaiver() bool {
	return p.Method == MethodWaiver || (p.Method == "" && p.WaiverReason != "")
}

// ValidatePayment checks p against the quote q and the program's fees. Field
// names are the intake form's: payment_method, payment_amount, waiver_reason
// and waiver_note.
func ValidatePayment(f config.Fees, q Quote, p Payment) person.Errors {
	var errs person.Errors
	add := func(field, key string) { errs = append(errs, person.FieldError{Field: field, Key: key}) }
	switch {
	case p.IsWaiver():
		switch {
		case len(f.WaiverReasons) == 0:
			add("payment_method", "fee.error.waiver_not_offered")
		case p.WaiverReason == "":
			add("waiver_reason", "fee.error.waiver_reason_required")
		case !slices.Contains(f.WaiverReasons, p.WaiverReason):
			add("waiver_reason", "error.invalid_choice")
		case p.WaiverReason == "other" && strings.TrimSpace(p.WaiverNote) == "":
			add("waiver_note", "fee.error.waiver_note_required")
		}
		if utf8.RuneCountInString(p.WaiverNote) > maxWaiverNote {
			add("waiver_note", "error.too_long")
		}
		if p.AmountCents != 0 {
			add("payment_amount", "fee.error.waiver_with_amount")
		}
	case p.Method == "" && q.AmountCents == 0:
		// Nothing is due and nothing was paid.
		if p.AmountCents != 0 {
			add("payment_amount", "fee.error.amount_mismatch")
		}
	case p.Method == "":
		add("payment_method", "fee.error.payment_required")
	case !slices.Contains(f.PaymentMethods, p.Method):
		add("payment_method", "error.invalid_choice")
	default:
		if p.AmountCents != q.AmountCents {
			add("payment_amount", "fee.error.amount_mismatch")
		}
		if p.WaiverReason != "" || p.WaiverNote != "" {
			add("waiver_reason", "fee.error.waiver_with_payment")
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// Format renders an amount for people: "$10.00", "$1,250.00". US dollars
// are written the US way in every language (US Spanish does the same); other
// currencies follow the language: "€12.50" in English, "12,50 €" in Spanish.
// Currencies without a common symbol show their code: "CAD 5.00".
func Format(cents int, cur, lang string) string {
	scale := 2
	if u, err := currency.ParseISO(cur); err == nil {
		scale, _ = currency.Standard.Rounding(u)
	}
	neg := cents < 0
	if neg {
		cents = -cents
	}
	div := 1
	for range scale {
		div *= 10
	}
	comma, point := ",", "."
	spanish := cur != "USD" && strings.HasPrefix(strings.ToLower(lang), "es")
	if spanish {
		comma, point = ".", ","
	}
	num := group(strconv.Itoa(cents/div), comma)
	if scale > 0 {
		frac := strconv.Itoa(cents % div)
		num += point + strings.Repeat("0", scale-len(frac)) + frac
	}
	sym, ok := map[string]string{"USD": "$", "EUR": "€", "GBP": "£"}[cur]
	var s string
	switch {
	case !ok:
		s = cur + " " + num
	case spanish:
		s = num + " " + sym
	default:
		s = sym + num
	}
	if neg {
		s = "-" + s
	}
	return s
}

// group inserts sep between groups of three digits.
func group(digits, sep string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	first := len(digits) % 3
	if first == 0 {
		first = 3
	}
	b.WriteString(digits[:first])
	for i := first; i < len(digits); i += 3 {
		b.WriteString(sep + digits[i:i+3])
	}
	return b.String()
}
