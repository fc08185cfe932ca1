package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/i18n"
	"github.com/cityid/cityid/internal/person"
)

// page is what every template receives: the printer, the signed-in staff
// member, the form being edited and its errors, and page-specific Data.
type page struct {
	c       *call
	loc     *time.Location // the program's time zone, for times shown
	station bool           // a field station's page (stationNav)
	Lang    string
	TitleK  string
	Program string
	Path    string // current path, for the language switch
	Form    url.Values
	Errs    []fieldMsg
	errs    map[string]string
	Flash   string // translated
	Notice  string // translated
	Data    any
	// Body is the content rendered before (views.renderShell).
	Body template.HTML
}

type fieldMsg struct {
	Field, ID, Message string
}

type navLink struct {
	Href, Label string
}

type langLink struct {
	Href, Label, Lang string
	Current           bool
}

func (s *Server) newPage(r *http.Request, c *call, titleKey string) *page {
	return &page{
		c: c, loc: s.svc.Location, Lang: c.P.Lang, TitleK: titleKey,
		Program: s.programName(c.P.Lang), station: s.station,
		Path: r.URL.Path,
		Form: url.Values{},
	}
}

func (s *Server) programName(lang string) string {
	if t := s.svc.Settings.Program.Title[lang]; t != "" {
		return t
	}
	if n := s.svc.Settings.Program.Name; n != "" {
		return n
	}
	return "cityid"
}

// T translates key in the page's language.
func (p *page) T(key string, args ...any) string { return p.c.P.T(key, args...) }

// DateTime is a moment in the program's time zone, in the page's language
// ("December 5, 2026, 2:05 PM EST"); Time is its time of day ("2:05 PM").
func (p *page) DateTime(t time.Time) string { return p.c.P.DateTime(t.In(p.loc)) }
func (p *page) Time(t time.Time) string     { return p.c.P.Time(t.In(p.loc)) }

// Day is a calendar date spelled out in the page's language ("December 5,
// 2026", "5 de diciembre de 2026"): 03/04/1980 is a different day to a
// Spanish reader. The zero date is "".
func (p *page) Day(d person.Date) string { return dayIn(p.c.P, d) }

func dayIn(pr i18n.Printer, d person.Date) string {
	if d.IsZero() {
		return ""
	}
	return pr.Date(d.Time())
}

// withData pairs the page (for T) with one value, for a sub-template.
type withData struct {
	P *page
	V any
}

// With passes v to a sub-template together with the page.
func (p *page) With(v any) withData { return withData{P: p, V: v} }

// Title is the translated page title.
func (p *page) Title() string { return p.T(p.TitleK) }

// Actor is the signed-in staff member (zero on public pages).
func (p *page) Actor() auth.Actor { return p.c.Actor }

// SignedIn reports whether a staff member is fully signed in.
func (p *page) SignedIn() bool { return p.c.Actor.StaffID != "" }

// Nav lists the links the signed-in staff member's role may use.
func (p *page) Nav() []navLink {
	if p.station {
		return stationNav(p)
	}
	a := p.c.Actor
	links := []navLink{{"/staff", p.T("web.nav.home")}}
	if a.Can(roleIntake...) {
		if a.SiteID != "" { // intake is taken at a site
			links = append(links, navLink{"/staff/intake", p.T("web.nav.intake")})
		}
		links = append(links, navLink{"/staff/applications", p.T("web.nav.applications")})
		if a.SiteID != "" {
			links = append(links, navLink{"/staff/preapp", p.T("booking.staff.preapp_title")}, navLink{"/staff/line", p.T("booking.staff.line_title")})
		}
		if a.Role == auth.RoleClerk && a.SiteID != "" {
			// The pick-up lists and the hand-over at the desk.
			links = append(links, navLink{"/staff/cards?tab=pickup", p.T("cards_web.nav")})
		}
	}
	if a.Can(roleReview...) {
		links = append(links, navLink{"/staff/queue", p.T("web.nav.queue")}, navLink{"/staff/search", p.T("search.title")},
			navLink{"/staff/cards", p.T("cards_web.nav")}, navLink{"/staff/spot-checks", p.T("spot.title")})
	}
	if a.Can(roleAdmin...) {
		links = append(links, navLink{"/staff/admin/sites", p.T("web.nav.sites")}, navLink{"/staff/admin/staff", p.T("web.nav.staff")},
			navLink{"/staff/admin/booking", p.T("booking.staff.admin_title")}, navLink{"/staff/admin/settings", p.T("web.nav.settings")},
			navLink{"/staff/admin/model", p.T("dup.model.title")})
	}
	if a.Can(roleCash...) {
		links = append(links, navLink{"/staff/cash", p.T("cash.title")})
	}
	if a.Can(roleStations...) {
		links = append(links, navLink{"/staff/stations", p.T("field.nav")})
	}
	if a.Can(roleStats...) {
		links = append(links, navLink{"/staff/stats", p.T("stats.title")}, navLink{"/staff/verifications", p.T("cards_web.nav_verifications")})
	}
	if a.Can(rolePrivacy...) {
		links = append(links, navLink{"/staff/privacy", p.T("privacy.title")})
	}
	if a.Can(roleAudit...) {
		links = append(links, navLink{"/staff/audit", p.T("web.nav.audit")})
	}
	return append(links, navLink{"/staff/tokens", p.T("web.nav.tokens")})
}

// Langs are the language-switch links, each naming its language in itself.
func (p *page) Langs() []langLink {
	var out []langLink
	for _, l := range []string{"en", "es"} {
		out = append(out, langLink{
			Href:    "/lang/" + l + "?next=" + url.QueryEscape(p.Path),
			Label:   p.c.P.T("web.lang.name." + l),
			Lang:    l,
			Current: l == p.Lang,
		})
	}
	return out
}

// V is the submitted (or loaded) value of a form field.
func (p *page) V(name string) string { return p.Form.Get(name) }

// Checked reports whether a checkbox or radio with value is selected.
func (p *page) Checked(name, value string) bool {
	for _, v := range p.Form[name] {
		if v == value {
			return true
		}
	}
	return false
}

// Err is the translated error for a form field, or "".
func (p *page) Err(name string) string { return p.errs[name] }

// ErrID is the id of the field's error message (for aria-describedby).
func (p *page) ErrID(name string) string { return "err-" + fieldID(name) }

// setErrors translates field errors for display next to fields and in the
// summary at the top, in the order the service reported them.
func (p *page) setErrors(errs person.Errors) {
	p.errs = map[string]string{}
	for _, fe := range errs {
		name := formField(fe.Field)
		if _, dup := p.errs[name]; dup {
			continue
		}
		msg := p.T(fe.Key, "n", fe.N)
		p.errs[name] = msg
		// The summary names the field, so three "This is required." are
		// three different links for a screen reader too.
		summary := msg
		if label := p.fieldLabel(name); label != "" {
			summary = p.T("web.errors.field", "field", label, "message", msg)
		}
		p.Errs = append(p.Errs, fieldMsg{Field: name, ID: "f-" + fieldID(name), Message: summary})
	}
}

// labelPrefixes are where a form control's label key is looked for, by
// the control's name: "web.intake.given_names", "site.phone"…
var labelPrefixes = []string{"web.intake.", "web.", "site.", "web.site.", "cards_web.", "booking.staff.", "desk.apps.", "web.staff.", "web.col."}

// fieldLabel is the translated label of a form control, for the error
// summary; "" when none is known. Document rows are numbered as on the
// page ("Type of document 2").
func (p *page) fieldLabel(name string) string {
	if rest, ok := strings.CutPrefix(name, "doc_"); ok {
		if col, i, ok := strings.Cut(rest, "_"); ok {
			if n, err := strconv.Atoi(i); err == nil {
				return p.T("web.intake.doc_"+col) + " " + strconv.Itoa(n+1)
			}
		}
	}
	if rest, ok := strings.CutPrefix(name, "hours_"); ok {
		if k := "date.day." + rest; p.T(k) != k {
			return p.T("site.hours") + " (" + p.T(k) + ")"
		}
	}
	for _, key := range []string{name, strings.TrimPrefix(name, "address_")} {
		for _, pre := range labelPrefixes {
			if t := p.T(pre + key); t != pre+key {
				return t
			}
		}
	}
	return ""
}

// formField maps a service field name to the form control that shows it:
// "documents.2.type" is the control "doc_type_2".
func formField(field string) string {
	if rest, ok := strings.CutPrefix(field, "documents."); ok {
		if i, col, ok := strings.Cut(rest, "."); ok {
			return "doc_" + col + "_" + i
		}
	}
	switch field {
	case "documents":
		return "doc_type_0"
	case "address":
		return "no_address"
	case "payment_amount":
		return "payment_method"
	}
	return field
}

// fieldID turns a form field name into an HTML id fragment.
func fieldID(name string) string { return strings.NewReplacer(".", "-", "_", "-").Replace(name) }

// ID is the HTML id of a form control.
func (p *page) ID(name string) string { return "f-" + fieldID(name) }

// input is one form control as a template renders it.
type input struct {
	Name, ID, Type, Label, Hint, Value, Err, ErrID, Describe, Autocomplete string
	Required, Checked                                                      bool
	Options                                                                []option
}

type option struct {
	Value, Label string
	Selected     bool
}

func (p *page) control(name, labelKey, typ string) input {
	in := input{Name: name, ID: p.ID(name), Type: typ, Label: p.T(labelKey), Value: p.V(name), Err: p.Err(name), ErrID: p.ErrID(name)}
	if hk := labelKey + ".hint"; p.T(hk) != hk {
		in.Hint = p.T(hk)
	}
	var desc []string
	if in.Hint != "" {
		desc = append(desc, in.ID+"-hint")
	}
	if in.Err != "" {
		desc = append(desc, in.ErrID)
	}
	in.Describe = strings.Join(desc, " ")
	return in
}

// AC sets the autocomplete hint, e.g. "username", "new-password", "one-time-code".
func (in input) AC(v string) input {
	in.Autocomplete = v
	return in
}

// In is a text-like input (type text, date, email, tel, password).
func (p *page) In(name, labelKey, typ string) input { return p.control(name, labelKey, typ) }

// Req is a required text-like input.
func (p *page) Req(name, labelKey, typ string) input {
	in := p.control(name, labelKey, typ)
	in.Required = true
	return in
}

// Check is a checkbox whose submitted value is "1".
func (p *page) Check(name, labelKey string) input {
	in := p.control(name, labelKey, "checkbox")
	in.Checked = p.V(name) == "1"
	return in
}

// Select is a drop-down; opts are value/label-key pairs already translated
// by the caller, the current value is selected.
func (p *page) Select(name, labelKey string, opts []option) input {
	in := p.control(name, labelKey, "select")
	cur := p.V(name)
	for _, o := range opts {
		o.Selected = o.Value == cur
		in.Options = append(in.Options, o)
	}
	return in
}

// Rows are the application summaries a list page shows.
func (p *page) Rows() []summaryRow {
	switch d := p.Data.(type) {
	case []summaryRow:
		return d
	case applicationListView:
		return d.Rows
	}
	return nil
}
