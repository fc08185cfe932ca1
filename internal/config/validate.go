package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // program.time_zone must validate on hosts without a zoneinfo database

	"golang.org/x/text/currency"
	"golang.org/x/text/language"

	"github.com/cityid/cityid/internal/i18n"
)

// Validate checks every setting and returns an *Error listing every problem
// (without line numbers: Parse and Load add those), or nil.
func (s Settings) Validate() error {
	if probs := s.problems(); len(probs) > 0 {
		return &Error{Problems: probs}
	}
	return nil
}

type checker struct{ probs []Problem }

func (c *checker) add(key, format string, args ...any) {
	c.probs = append(c.probs, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (c *checker) atLeast(key string, v, lo int) {
	if v < lo {
		c.add(key, "must be %d or more (got %d)", lo, v)
	}
}

func (c *checker) between(key string, v, lo, hi int) {
	if v < lo || v > hi {
		c.add(key, "must be between %d and %d (got %d)", lo, hi, v)
	}
}

func (c *checker) required(key, v string) {
	if strings.TrimSpace(v) == "" {
		c.add(key, "must not be empty")
	}
}

var (
	codeRE  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	colorRE = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	iinRE   = regexp.MustCompile(`^[0-9]{6}$`)
)

// codes checks a list of codes: each well formed, none repeated, none in reserved.
func (c *checker) codes(key string, list []string, needOne bool, reserved ...string) {
	if needOne && len(list) == 0 {
		c.add(key, "must list at least one code")
	}
	seen := map[string]bool{}
	for i, v := range list {
		k := fmt.Sprintf("%s[%d]", key, i+1)
		switch {
		case !codeRE.MatchString(v):
			c.add(k, "%q: a code is a lower-case letter then letters, digits or _ (at most 40)", v)
		case seen[v]:
			c.add(k, "%q is listed twice", v)
		case slices.Contains(reserved, v):
			c.add(k, "%q is reserved", v)
		}
		seen[v] = true
	}
}

const maxAge = 125

func (s Settings) problems() []Problem {
	c := &checker{}
	s.checkProgram(c)
	s.checkFees(c)
	s.checkCard(c)
	s.checkDocuments(c)
	s.checkEvidence(c)

	c.between("photo.width", s.Photo.Width, 100, 4000)
	c.between("photo.height", s.Photo.Height, 100, 4000)
	c.between("photo.max_upload_mb", s.Photo.MaxUploadMB, 1, 50)

	c.codes("review.reject_reasons", s.Review.RejectReasons, true)

	r := s.Retention
	c.between("retention.draft_days", r.DraftDays, 1, 3650)
	// At least a day each: a period of 0 would read as "keep forever" to
	// some and "erase at once" to others; every class must have a rule.
	c.between("retention.rejected_days", r.RejectedDays, 1, 3650)
	c.between("retention.pending_days", r.PendingDays, 1, 3650)
	c.between("retention.approved_days", r.ApprovedDays, 1, 3650)
	c.between("retention.uncollected_days", r.UncollectedDays, 1, 3650)
	c.between("retention.cardholder_after_expiry_days", r.CardholderAfterExpiryDays, 1, 3650)
	c.between("retention.ticket_days", r.TicketDays, 1, 3650)
	c.between("retention.staff_disabled_days", r.StaffDisabledDays, 1, 36500)
	c.between("retention.no_list_grace_days", r.NoListGraceDays, 0, 365)
	c.between("backup.key_days", s.Backup.KeyDays, 1, 31)
	c.between("backup.keep_days", s.Backup.KeepDays, 1, 3650)
	c.between("field.stale_days", s.Field.StaleDays, 1, 365)
	c.between("field.quarantine_days", s.Field.QuarantineDays, 1, 3650)
	c.between("field.retired_key_days", s.Field.RetiredKeyDays, 1, 3650)

	l := s.Linkage
	for _, p := range []struct {
		key string
		v   float64
	}{{"linkage.auto_clear", l.AutoClear}, {"linkage.review", l.Review}, {"linkage.strong_match", l.StrongMatch}} {
		if !(p.v >= 0 && p.v <= 1) {
			c.add(p.key, "must be a probability between 0 and 1 (got %g)", p.v)
		}
	}
	if l.Review < l.AutoClear {
		c.add("linkage.review", "must be at least linkage.auto_clear (%g) (got %g)", l.AutoClear, l.Review)
	}
	if l.StrongMatch < l.Review {
		c.add("linkage.strong_match", "must be at least linkage.review (%g) (got %g)", l.Review, l.StrongMatch)
	}

	sec := s.Security
	c.between("security.session_hours", sec.SessionHours, 1, 168)
	c.between("security.idle_minutes", sec.IdleMinutes, 1, max(1, sec.SessionHours)*60)
	c.between("security.login_max_attempts", sec.LoginMaxAttempts, 1, 100)
	c.between("security.lockout_minutes", sec.LockoutMinutes, 1, 7*24*60)
	c.between("security.totp_max_attempts", sec.TOTPMaxAttempts, 1, 20)
	c.between("security.api_token_days", sec.APITokenDays, 1, 366)
	c.between("security.api_reads_per_hour", sec.APIReadsPerHour, 1, 10_000)
	c.between("security.api_reads_per_day", sec.APIReadsPerDay, 1, 100_000)
	s.checkServer(c)
	if n := s.Notify; n.SMSURL != "" {
		if !strings.HasPrefix(n.SMSURL, "https://") && !strings.HasPrefix(n.SMSURL, "http://127.0.0.1") && !strings.HasPrefix(n.SMSURL, "http://localhost") {
			c.add("notify.sms_url", "must be an https URL (the number and message cross the internet)")
		}
		if n.SMSBody == "" {
			c.add("notify.sms_body", "is required with notify.sms_url: the request body, e.g. {\"to\":{{json .To}},\"text\":{{json .Text}}}")
		}
		if n.SMSAuthHeader != "" && n.SMSAuthEnv == "" {
			c.add("notify.sms_auth_env", "names the environment variable holding the %s value (the secret stays out of this file)", n.SMSAuthHeader)
		}
	}
	return c.probs
}

// checkServer checks the trusted proxies: each an address or CIDR prefix.
func (s Settings) checkServer(c *checker) {
	for i, p := range s.Server.TrustedProxies {
		_, perr := netip.ParsePrefix(p)
		_, aerr := netip.ParseAddr(p)
		if perr != nil && aerr != nil {
			c.add("server.trusted_proxies", "entry %d (%q) is not an address or CIDR prefix such as 10.0.0.0/8", i+1, p)
		}
	}
	switch strings.ToLower(s.Server.ProxyHeader) {
	case "", "x-forwarded-for", "forwarded":
	default:
		c.add("server.proxy_header", "must be X-Forwarded-For or Forwarded (got %q)", s.Server.ProxyHeader)
	}
}

func (s Settings) checkProgram(c *checker) {
	p := s.Program
	c.required("program.city", p.City)
	c.required("program.state", p.State)
	c.required("program.name", p.Name)
	if len(p.Languages) == 0 {
		c.add("program.languages", "must list at least one language code, the default first")
	}
	// A language offered must have translations, or its pages would be English.
	shipped, err := i18n.Load()
	if err != nil {
		c.add("program.languages", "cannot load the translations: %v", err)
	}
	seen := map[string]bool{}
	for i, l := range p.Languages {
		k := fmt.Sprintf("program.languages[%d]", i+1)
		switch _, err := language.Parse(l); {
		case err != nil || l != strings.ToLower(l) || strings.Contains(l, "_"):
			c.add(k, "%q is not a language code such as \"en\" or \"es\"", l)
		case seen[l]:
			c.add(k, "%q is listed twice", l)
		case shipped != nil && !shipped.Has(l):
			c.add(k, "%q has no translations in this version of cityid (it has %s)", l, strings.Join(shipped.Languages(), ", "))
		}
		seen[l] = true
	}
	if len(p.Languages) > 0 && strings.TrimSpace(p.Title[p.Languages[0]]) == "" {
		c.add("program.title", "must give the card title in the default language %q", p.Languages[0])
	}
	for _, l := range sortedKeys(p.Title) {
		if !seen[l] {
			c.add("program.title."+l, "language %q is not in program.languages", l)
		}
	}
	s.checkIssuerURL(c)
	if p.TimeZone == "" {
		c.add("program.time_zone", "must not be empty (e.g. \"America/New_York\")")
	} else if _, err := time.LoadLocation(p.TimeZone); err != nil {
		c.add("program.time_zone", "%q is not a time zone name such as \"America/New_York\"", p.TimeZone)
	}
}

func (s Settings) checkIssuerURL(c *checker) {
	const key = "program.issuer_url"
	raw := s.Program.IssuerURL
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		c.add(key, "must not be empty (e.g. \"https://id.example.gov\")")
	case err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
		c.add(key, "%q is not an absolute URL like \"https://id.example.gov\"", raw)
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		// Plain HTTP only for trying the software on one machine.
	default:
		c.add(key, "%q must use https (http is allowed only for localhost)", raw)
	}
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

func (s Settings) checkFees(c *checker) {
	f := s.Fees
	c.atLeast("fees.adult", f.Adult, 0)
	c.atLeast("fees.child", f.Child, 0)
	c.atLeast("fees.senior", f.Senior, 0)
	c.atLeast("fees.replacement", f.Replacement, 0)
	c.between("fees.child_under_age", f.ChildUnderAge, 0, maxAge)
	if f.SeniorFromAge != 0 {
		c.between("fees.senior_from_age", f.SeniorFromAge, max(f.ChildUnderAge, 1), maxAge)
	}
	if _, err := currency.ParseISO(f.Currency); err != nil || f.Currency != strings.ToUpper(f.Currency) {
		c.add("fees.currency", "%q is not an ISO 4217 currency code such as \"USD\"", f.Currency)
	}
	free := f.Adult == 0 && f.Child == 0 && f.Senior == 0 && f.Replacement == 0
	c.codes("fees.payment_methods", f.PaymentMethods, !free, "waiver")
	c.codes("fees.waiver_reasons", f.WaiverReasons, false)
}

func (s Settings) checkCard(c *checker) {
	k := s.Card
	c.between("card.validity_years", k.ValidityYears, 1, 20)
	c.between("card.child_validity_years", k.ChildValidityYears, 1, 20)
	c.between("card.renewal_window_before_days", k.RenewalWindowBeforeDays, 0, 365)
	c.between("card.renewal_window_after_days", k.RenewalWindowAfterDays, 0, 3650)
	c.between("card.pickup_overdue_days", k.PickupOverdueDays, 1, 365)
	known := PrintableFields()
	seen := map[string]bool{}
	for i, f := range k.PrintedFields {
		key := fmt.Sprintf("card.printed_fields[%d]", i+1)
		switch {
		case !slices.Contains(known, f):
			c.add(key, "%q is not a printable field (choose from %s)", f, strings.Join(known, ", "))
		case seen[f]:
			c.add(key, "%q is listed twice", f)
		}
		seen[f] = true
	}
	for _, col := range []struct{ key, v string }{{"card.primary_color", k.PrimaryColor}, {"card.accent_color", k.AccentColor}} {
		if !colorRE.MatchString(col.v) {
			c.add(col.key, "%q is not a colour like \"#0b3d91\"", col.v)
		}
	}
	if !iinRE.MatchString(k.AAMVAIIN) {
		c.add("card.aamva_iin", "%q must be 6 digits", k.AAMVAIIN)
	}
	c.between("card.aamva_jurisdiction_version", k.AAMVAJurisdictionVersion, 0, 99)
}

// revealingWord returns a word in code that would record immigration status,
// nationality or a number about the applicant, or "": the catalogue holds
// neutral document types only.
func revealingWord(code string) string {
	revealing := []string{
		"number", "ssn", "social_security", "immigration", "immigrant", "citizen",
		"citizenship", "nationality", "visa", "green_card", "permanent_resident",
		"asylum", "refugee", "daca", "ead", "i94", "uscis", "alien", "undocumented",
	}
	padded := "_" + code + "_"
	for _, w := range revealing {
		if strings.Contains(padded, "_"+w+"_") {
			return w
		}
	}
	return ""
}

func (s Settings) checkDocuments(c *checker) {
	if len(s.Documents) == 0 {
		c.add("documents", "the catalogue must list at least one [[documents]] entry")
	}
	langs := map[string]bool{}
	for _, l := range s.Program.Languages {
		langs[l] = true
	}
	seen := map[string]int{}
	for i, d := range s.Documents {
		k := fmt.Sprintf("documents[%d]", i+1)
		switch {
		case d.Code == "":
			c.add(k+".code", "must not be empty")
		case !codeRE.MatchString(d.Code):
			c.add(k+".code", "%q: a code is a lower-case letter then letters, digits or _ (at most 40)", d.Code)
		case seen[d.Code] > 0:
			c.add(k+".code", "%q is already used by documents[%d]", d.Code, seen[d.Code])
		case revealingWord(d.Code) != "":
			c.add(k+".code", "%q would record immigration status, nationality or a number (%q); record a neutral document type", d.Code, revealingWord(d.Code))
		}
		if seen[d.Code] == 0 {
			seen[d.Code] = i + 1
		}
		c.atLeast(k+".identity_points", d.IdentityPoints, 0)
		c.atLeast(k+".residency_points", d.ResidencyPoints, 0)
		if d.IdentityPoints <= 0 && d.ResidencyPoints <= 0 {
			c.add(k, "proves nothing: set identity_points or residency_points above 0")
		}
		c.between(k+".expired_identity_points", d.ExpiredIdentityPoints, 0, max(d.IdentityPoints, 0))
		c.between(k+".expired_grace_years", d.ExpiredGraceYears, 0, 50)
		if d.ExpiredIdentityPoints > 0 && d.ExpiredGraceYears == 0 {
			c.add(k+".expired_identity_points", "needs expired_grace_years above 0, or expired documents never count")
		}
		c.between(k+".dated_within_days", d.DatedWithinDays, 0, 3650)
		c.between(k+".min_age", d.MinAge, 0, maxAge)
		c.between(k+".max_age", d.MaxAge, 0, maxAge)
		if d.MaxAge > 0 && d.MaxAge < d.MinAge {
			c.add(k+".max_age", "must be at least min_age (%d) (got %d)", d.MinAge, d.MaxAge)
		}
		for _, l := range sortedKeys(d.Names) {
			switch {
			case !langs[l]:
				c.add(k+".names."+l, "language %q is not in program.languages", l)
			case strings.TrimSpace(d.Names[l]) == "":
				c.add(k+".names."+l, "must not be empty")
			}
		}
	}
}

func (s Settings) checkEvidence(c *checker) {
	e := s.Evidence
	var idDocs, resDocs, idPoints, resPoints int
	var photo, dob bool
	for _, d := range s.Documents {
		if d.IdentityPoints > 0 {
			idDocs++
			idPoints += d.IdentityPoints
		}
		if d.ResidencyPoints > 0 {
			resDocs++
			resPoints += d.ResidencyPoints
		}
		photo = photo || d.HasPhoto
		dob = dob || d.HasDOB
	}
	switch e.Mode {
	case ModeDocuments:
		c.reachable("document",
			requirement{"evidence.identity_documents", e.IdentityDocuments, idDocs},
			requirement{"evidence.residency_documents", e.ResidencyDocuments, resDocs})
	case ModePoints:
		c.reachable("point",
			requirement{"evidence.identity_points", e.IdentityPoints, idPoints},
			requirement{"evidence.residency_points", e.ResidencyPoints, resPoints})
	default:
		c.add("evidence.mode", "%q must be %q or %q", e.Mode, ModeDocuments, ModePoints)
	}
	if e.RequirePhoto && !photo {
		c.add("evidence.require_photo", "no document in the catalogue has has_photo = true")
	}
	if e.RequireDOB && !dob {
		c.add("evidence.require_dob", "no document in the catalogue has has_dob = true")
	}
	c.between("evidence.minimum_age", e.MinimumAge, 0, maxAge)
	c.between("evidence.caretaker_max_age", e.CaretakerMaxAge, 0, maxAge)
}

// requirement is an evidence rule (want) and what the whole catalogue could give (have).
type requirement struct {
	key        string
	want, have int
}

// reachable checks the identity and residency requirements of one mode.
func (c *checker) reachable(unit string, reqs ...requirement) {
	total := 0
	for _, r := range reqs {
		c.atLeast(r.key, r.want, 0)
		if r.want > r.have {
			c.add(r.key, "asks for %d but the whole catalogue offers only %d", r.want, r.have)
		}
		total += r.want
	}
	if total < 1 {
		c.add(reqs[0].key, "at least one identity or residency %s must be required", unit)
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
