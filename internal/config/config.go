// Package config holds a city's program settings: who the issuer is, what a
// card costs, which documents prove identity and residency, how long a card is
// valid and how long records are kept.
//
// Settings live in one human-edited TOML file in the data directory
// (cityid.toml). The file is validated at start; every problem is reported at
// once with the file's line number, and unknown keys are errors so a typo is
// never silently ignored. Keys missing from the file take their defaults.
// Default() is the New Haven program; Profile("idnyc") is an IDNYC-style
// points program.
package config

import (
	"embed"
	"fmt"
	"sort"
	"strings"
)

// Settings is the whole program configuration.
type Settings struct {
	Program   Program       `toml:"program"`
	Fees      Fees          `toml:"fees"`
	Card      CardSettings  `toml:"card"`
	Evidence  Evidence      `toml:"evidence"`
	Documents []Document    `toml:"documents"`
	Photo     PhotoSettings `toml:"photo"`
	Review    Review        `toml:"review"`
	Retention Retention     `toml:"retention"`
	Linkage   Linkage       `toml:"linkage"`
	Security  Security      `toml:"security"`
	Server    Server        `toml:"server"`
	Backup    Backup        `toml:"backup"`
	Notify    Notify        `toml:"notify"`
	Field     Field         `toml:"field"`
}

// Field sets how the city treats field stations (laptops that take
// applications offline and upload sealed packets; docs/field.md).
type Field struct {
	// StaleDays: a station that has not synced for this many days is
	// flagged on the stations page.
	StaleDays int `toml:"stale_days"`
	// QuarantineDays: a refused packet (kept encrypted) is deleted this many
	// days after it arrived.
	QuarantineDays int `toml:"quarantine_days"`
	// RetiredKeyDays: after a packet-key rotation the old private key is
	// kept this many days, to open packets sealed to it before stations
	// fetched the new one.
	RetiredKeyDays int `toml:"retired_key_days"`
}

// Notify configures an SMS provider's HTTP API for reminders and "card
// ready" notices (e-mail goes through serve's --smtp relay). Empty SMSURL:
// no provider. The provider's secret never sits in this file: SMSAuthEnv
// names the environment variable that holds the header's value.
type Notify struct {
	SMSURL         string `toml:"sms_url"`
	SMSAuthHeader  string `toml:"sms_auth_header"`
	SMSAuthEnv     string `toml:"sms_auth_env"`
	SMSContentType string `toml:"sms_content_type"`
	// SMSBody is a Go text/template for the request body; it sees .To
	// (+15551234567) and .Text, with {{json .Text}} and {{form .Text}}.
	SMSBody string `toml:"sms_body"`
}

// Backup sets the backup key periods: a new key every KeyDays days, each
// destroyed KeepDays days after its period ends (its backups then no longer
// open).
type Backup struct {
	KeyDays  int `toml:"key_days"`
	KeepDays int `toml:"keep_days"`
}

// Program says who runs the program and in which languages.
type Program struct {
	City  string `toml:"city"`
	State string `toml:"state"`
	Name  string `toml:"name"`
	// Title is the card's printed title per language code; the card prints the
	// titles of the first two Languages.
	Title map[string]string `toml:"title"`
	// IssuerURL identifies the issuer in signed credentials (CWT "iss") and is
	// the base of the published status-list and key URLs.
	IssuerURL string `toml:"issuer_url"`
	// Languages are the language codes offered; the first is the default.
	Languages []string `toml:"languages"`
	// TimeZone is an IANA zone name; "today" for ages and expiry is taken there.
	TimeZone string `toml:"time_zone"`
}

// DefaultLanguage is the first of Languages.
func (p Program) DefaultLanguage() string {
	if len(p.Languages) == 0 {
		return "en"
	}
	return p.Languages[0]
}

// Fees are amounts in cents of Currency.
type Fees struct {
	Adult int `toml:"adult"`
	Child int `toml:"child"`
	// ChildUnderAge: applicants younger than this pay the child fee (and get
	// Card.ChildValidityYears).
	ChildUnderAge int `toml:"child_under_age"`
	// Senior is charged from SeniorFromAge on; SeniorFromAge 0 means no senior fee.
	Senior        int `toml:"senior"`
	SeniorFromAge int `toml:"senior_from_age"`
	// Replacement is charged for a lost, stolen or damaged card. A renewal
	// costs the same as a new card for the holder's age.
	Replacement int    `toml:"replacement"`
	Currency    string `toml:"currency"`
	// PaymentMethods are codes; their text is the message key "fee.method.<code>".
	PaymentMethods []string `toml:"payment_methods"`
	// WaiverReasons are codes; their text is the message key "fee.waiver.<code>".
	WaiverReasons []string `toml:"waiver_reasons"`
}

// CardSettings govern validity, renewal and what is printed.
type CardSettings struct {
	ValidityYears      int `toml:"validity_years"`
	ChildValidityYears int `toml:"child_validity_years"`
	// RenewalWindowBeforeDays and RenewalWindowAfterDays bound when a card may
	// be renewed around its expiry date.
	RenewalWindowBeforeDays int `toml:"renewal_window_before_days"`
	RenewalWindowAfterDays  int `toml:"renewal_window_after_days"`
	// PickupOverdueDays: a printed card not collected after this many days
	// is listed as an overdue pick-up (someone calls the resident).
	PickupOverdueDays int `toml:"pickup_overdue_days"`
	// PrintedFields are the optional fields a holder may choose to have
	// printed; a field not listed here is never offered.
	PrintedFields []string `toml:"printed_fields"`
	PrimaryColor  string   `toml:"primary_color"`
	AccentColor   string   `toml:"accent_color"`
	// SealImage is a PNG or JPEG path (relative to the data directory); empty
	// prints the city name only.
	SealImage string `toml:"seal_image"`
	// AAMVAIIN is the 6-digit issuer number in the PDF417 barcode. AAMVA
	// issues numbers to states and provinces, not cities, so the default is a
	// placeholder.
	AAMVAIIN                 string `toml:"aamva_iin"`
	AAMVAJurisdictionVersion int    `toml:"aamva_jurisdiction_version"`
}

// PlaceholderIIN is the default AAMVA issuer number. It is not assigned to any
// jurisdiction by AAMVA; a program that obtains a real number sets its own.
const PlaceholderIIN = "990000"

// PrintableFields lists the optional card fields the software knows how to
// print and a program may offer.
func PrintableFields() []string {
	return []string{"sex", "address", "emergency_contact", "veteran", "organ_donor"}
}

// Evidence modes.
const (
	ModeDocuments = "documents" // count documents: N identity + M residency
	ModePoints    = "points"    // add up points per document
)

// Evidence are the rules an applicant's documents must meet.
type Evidence struct {
	// Mode is ModeDocuments or ModePoints.
	Mode string `toml:"mode"`
	// In documents mode: how many distinct documents that prove identity
	// (identity_points > 0) and residency (residency_points > 0) are needed.
	IdentityDocuments  int `toml:"identity_documents"`
	ResidencyDocuments int `toml:"residency_documents"`
	// In points mode: how many points of each kind are needed.
	IdentityPoints  int `toml:"identity_points"`
	ResidencyPoints int `toml:"residency_points"`
	// RequirePhoto and RequireDOB: at least one counted document must show a
	// photo / a date of birth.
	RequirePhoto bool `toml:"require_photo"`
	RequireDOB   bool `toml:"require_dob"`
	// MinimumAge is the youngest age at which a person may apply (0 = any age).
	MinimumAge int `toml:"minimum_age"`
	// Caretaker rule: applicants aged CaretakerMaxAge or younger who come with
	// a caretaker who proves the relationship need no photo document when
	// CaretakerWaivesPhoto is set. CaretakerMaxAge 0 turns the rule off.
	CaretakerMaxAge      int  `toml:"caretaker_max_age"`
	CaretakerWaivesPhoto bool `toml:"caretaker_waives_photo"`
}

// Document is one document type in the catalogue. The catalogue records types
// only: cityid never stores a document's number or an image of it.
type Document struct {
	// Code is a stable identifier, [a-z0-9_]; its display name is the message
	// key "document.<code>" unless Names gives one.
	Code string `toml:"code"`
	// Names optionally names a city's own document type per language.
	Names map[string]string `toml:"names"`
	// IdentityPoints and ResidencyPoints: in points mode the points the
	// document is worth; in documents mode a value above zero means the
	// document proves identity / residency.
	IdentityPoints  int  `toml:"identity_points"`
	ResidencyPoints int  `toml:"residency_points"`
	HasPhoto        bool `toml:"has_photo"`
	HasDOB          bool `toml:"has_dob"`
	// An expired document counts for ExpiredIdentityPoints identity points if
	// it expired less than ExpiredGraceYears ago; otherwise it does not count.
	ExpiredIdentityPoints int `toml:"expired_identity_points"`
	ExpiredGraceYears     int `toml:"expired_grace_years"`
	// MinAge and MaxAge limit who may use the document (0 = no limit), e.g. a
	// school record only for minors.
	MinAge int `toml:"min_age"`
	MaxAge int `toml:"max_age"`
	// AskIssuer lets the clerk record who issued the document (e.g. the state
	// of a licence). Off by default: the issuer of a passport or national ID
	// would record the holder's nationality.
	AskIssuer bool `toml:"ask_issuer"`
	// DatedWithinDays, when above 0, makes the document one that proves
	// something only while recent (a utility bill): the clerk records the
	// date it was issued instead of an expiry, and it counts only if that
	// date is today or up to this many days before.
	DatedWithinDays int `toml:"dated_within_days"`
}

// DocumentName is the display name of d in lang: its own Names entry if the
// settings file gives one, else fallback("document.<code>") — normally the
// message catalogue's translation (an i18n.Printer's T fits).
func DocumentName(d Document, lang string, fallback func(key string, args ...any) string) string {
	if n := d.Names[lang]; n != "" {
		return n
	}
	return fallback("document." + d.Code)
}

// Warnings lists settings that are valid but should be changed before a
// program issues real cards; serve logs them at start.
func (s Settings) Warnings() []Problem {
	var w []Problem
	if s.Card.AAMVAIIN == PlaceholderIIN {
		w = append(w, Problem{Key: "card.aamva_iin", Msg: fmt.Sprintf("%s is a placeholder that belongs to no issuer", PlaceholderIIN)})
	}
	if strings.HasPrefix(s.Program.IssuerURL, "http:") {
		w = append(w, Problem{Key: "program.issuer_url", Msg: "plain http is only for trying cityid on one machine"})
	}
	return w
}

// Document returns the catalogue entry for code.
func (s Settings) Document(code string) (Document, bool) {
	for _, d := range s.Documents {
		if d.Code == code {
			return d, true
		}
	}
	return Document{}, false
}

// PhotoSettings size the stored portrait.
type PhotoSettings struct {
	Width       int `toml:"width"`
	Height      int `toml:"height"`
	MaxUploadMB int `toml:"max_upload_mb"`
}

// Review lists the reasons a supervisor may give for rejecting an application;
// their text is the message key "review.reason.<code>".
type Review struct {
	RejectReasons []string `toml:"reject_reasons"`
	// SinglePersonSites lists the ids of sites staffed by one person, where
	// the four-eyes rules (who took an application cannot approve it; who
	// approved it cannot issue its card) cannot hold. Cards made there are
	// marked and listed for a second review instead.
	SinglePersonSites []string `toml:"single_person_sites"`
}

// Retention sets how long records are kept.
// Every class of personal data has a period; there is no "keep forever".
type Retention struct {
	DraftDays                 int  `toml:"draft_days"`
	RejectedDays              int  `toml:"rejected_days"`
	PendingDays               int  `toml:"pending_days"`     // submitted, never decided: from submission
	ApprovedDays              int  `toml:"approved_days"`    // approved, card never issued: from approval
	UncollectedDays           int  `toml:"uncollected_days"` // card never handed over: from issue or last print
	CardholderAfterExpiryDays int  `toml:"cardholder_after_expiry_days"`
	TicketDays                int  `toml:"ticket_days"` // walk-in tickets: from their day
	NoListMode                bool `toml:"no_list_mode"`
	NoListGraceDays           int  `toml:"no_list_grace_days"`
	// StaffDisabledDays: a disabled staff account's username and display
	// name are replaced this many days after it was disabled; its id stays,
	// so audit events keep pointing at one (now nameless) account.
	StaffDisabledDays int `toml:"staff_disabled_days"`
}

// Linkage sets duplicate-detection thresholds (match probabilities).
// Below AutoClear a pair is not shown; from AutoClear the clerk sees a
// possible match; from Review a supervisor must decide; from StrongMatch the
// pair is treated as a likely duplicate.
type Linkage struct {
	AutoClear   float64 `toml:"auto_clear"`
	Review      float64 `toml:"review"`
	StrongMatch float64 `toml:"strong_match"`
}

// Security sets staff session and login limits.
type Security struct {
	SessionHours     int `toml:"session_hours"`
	IdleMinutes      int `toml:"idle_minutes"`
	LoginMaxAttempts int `toml:"login_max_attempts"`
	LockoutMinutes   int `toml:"lockout_minutes"`
	// TOTPMaxAttempts wrong authenticator codes lock the account; they are
	// counted apart from wrong passwords, so a right password does not
	// reset them.
	TOTPMaxAttempts int `toml:"totp_max_attempts"`
	// APITokenDays is how long a new API token lives.
	APITokenDays int `toml:"api_token_days"`
	// APIReadsPerHour bounds the personal-data records one API token may
	// open an hour; APIReadsPerDay bounds those of all of one account's
	// tokens together a day. Reaching either refuses the read and writes an
	// alert event to the audit log.
	APIReadsPerHour int `toml:"api_reads_per_hour"`
	APIReadsPerDay  int `toml:"api_reads_per_day"`
	// SingleAdministrator says this city has one administrator: creating or
	// promoting an account that reads personal data then takes effect
	// without a second administrator's approval, with an alert event in the
	// audit log instead.
	SingleAdministrator bool `toml:"single_administrator"`
}

// Server says how the HTTP server meets the network.
type Server struct {
	// TrustedProxies are the addresses or CIDR prefixes of the reverse
	// proxies (TLS terminator, load balancer) in front of cityid. Only a
	// connection from one of them has its forwarded-address header read;
	// rate limits then key on the client behind the proxy. Empty: every
	// limit keys on the connection's own address.
	TrustedProxies []string `toml:"trusted_proxies"`
	// ProxyHeader is the header those proxies write: "X-Forwarded-For"
	// (default) or "Forwarded" (RFC 7239). The other one is ignored.
	ProxyHeader string `toml:"proxy_header"`
}

//go:embed profiles/*.toml
var profiles embed.FS

// DefaultProfile is the profile Default returns and WriteDefault writes.
const DefaultProfile = "new-haven"

// Default returns the New Haven settings.
func Default() Settings {
	s, err := parseProfile(DefaultProfile, Settings{})
	if err != nil {
		// The embedded file is checked by the tests; failing here is a build defect.
		panic(fmt.Sprintf("config: embedded default profile: %v", err))
	}
	return s
}

// Profiles lists the shipped profile names.
func Profiles() []string {
	entries, _ := profiles.ReadDir("profiles")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".toml"))
	}
	sort.Strings(names)
	return names
}

// Profile returns a shipped profile by name, e.g. "new-haven" or "idnyc".
func Profile(name string) (Settings, error) {
	return parseProfile(name, Default())
}

// ProfileText returns the commented TOML text of a shipped profile.
func ProfileText(name string) ([]byte, error) {
	for _, p := range Profiles() {
		if p == name {
			return profiles.ReadFile("profiles/" + name + ".toml")
		}
	}
	return nil, fmt.Errorf("config: unknown profile %q (have %s)", name, strings.Join(Profiles(), ", "))
}

func parseProfile(name string, base Settings) (Settings, error) {
	data, err := ProfileText(name)
	if err != nil {
		return Settings{}, err
	}
	return parseOnto(base, name+".toml", data)
}
