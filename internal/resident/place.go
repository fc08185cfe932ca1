package resident

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cityid/cityid/internal/site"
)

// placeView is a site as a resident needs it to get there: address with a
// plain map link, phone, opening hours, languages at the desk, access.
type placeView struct {
	Name, Address, Map, Phone, Tel   string
	Hours                            []string
	Languages, Accessibility         string
	MapLabel, PhoneLabel, HoursLabel string
	LanguagesLabel, AccessLabel      string
}

// place describes st in the page's language.
func (s *Site) place(p *page, st site.Site) *placeView {
	v := &placeView{Name: st.Name, Address: st.Address, Map: site.MapURL(st.Address), Phone: st.Phone, Tel: telURI(st.Phone),
		Languages: strings.Join(st.Languages, ", "), Accessibility: st.Accessibility,
		MapLabel: p.T("resident.place.map", "site", st.Name), PhoneLabel: p.T("site.phone"), HoursLabel: p.T("site.hours"),
		LanguagesLabel: p.T("site.languages"), AccessLabel: p.T("site.accessibility")}
	day := func(d time.Weekday) string { return p.T("date.day." + site.Weekdays[d]) }
	for _, r := range site.Ranges(st.Hours) {
		hours := p.T("resident.hours.closed")
		if len(r.Spans) > 0 {
			hours = site.FormatDayOn(r.Spans, p.p.Clock)
		}
		line := p.T("resident.hours.days", "from", day(r.From), "to", day(r.To), "hours", hours)
		if r.From == r.To {
			line = p.T("resident.hours.day", "day", day(r.From), "hours", hours)
		}
		// Spanish writes weekdays in lower case; a line starts with a capital.
		first, size := utf8.DecodeRuneInString(line)
		v.Hours = append(v.Hours, string(unicode.ToUpper(first))+line[size:])
	}
	return v
}

// telURI keeps the digits and a leading + of a printed number for a tel:
// link ("203-946-8000 ext. 12" dials 2039468000).
func telURI(phone string) string {
	main, _, _ := strings.Cut(strings.ToLower(phone), "x")
	main, _, _ = strings.Cut(main, "e")
	var b strings.Builder
	for i, r := range strings.TrimSpace(main) {
		if (r >= '0' && r <= '9') || (r == '+' && i == 0) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// places lists the active sites, for the home page.
func (s *Site) places(ctx context.Context, p *page) ([]*placeView, error) {
	active, _, err := s.sites(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*placeView, 0, len(active))
	for _, st := range active {
		out = append(out, s.place(p, st))
	}
	return out, nil
}
