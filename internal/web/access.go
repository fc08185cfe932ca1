package web

import (
	"net/http"
	"strings"

	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/i18n"
)

// accessCopy is the resident's access export in one language.
type accessCopy struct {
	P                           i18n.Printer
	Lang, Program               string
	Name, DateOfBirth, Sex      string
	Address, Phone, Email       string
	Emergency, Language, Status string
	Reference, Created          string
	Documents                   []string
	Events                      []accessEvent
}

type accessEvent struct {
	At, Action, Purpose string
	Denied              bool
}

type accessView struct {
	Copies []accessCopy
	Photo  []byte
}

// residentLangs is the order copies are printed in: the resident's
// language first (when cityid has it), then English or Spanish.
func (s *Server) residentLangs(lang string) []string {
	if !s.svc.I18n.Has(lang) {
		return []string{"en", "es"}
	}
	if lang == "en" {
		return []string{"en", "es"}
	}
	if lang == "es" {
		return []string{"es", "en"}
	}
	return []string{lang, "en"}
}

// accessExport is the printable answer to a resident's own access
// request: everything held about their application and every recorded
// look at it, in their language and in English or Spanish. It is the only
// export of one person's data; there is no bulk export.
func (s *Server) accessExport(w http.ResponseWriter, r *http.Request, c *call) error {
	acc, err := s.svc.Applications.AccessExport(r.Context(), c.Actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	a := acc.Application
	v := accessView{Photo: a.Photo}
	for _, l := range s.residentLangs(a.Person.Language) {
		pr := s.svc.I18n.Printer(l)
		ad := a.Person.Address
		cp := accessCopy{P: pr, Lang: l, Program: s.programName(l), Name: a.Person.FullName(),
			DateOfBirth: dayIn(pr, a.Person.DateOfBirth), Sex: sexLabel(pr, a.Person.Sex),
			Address: strings.Join(nonEmpty(ad.CareOf, ad.Line1, ad.Line2, strings.TrimSpace(ad.City+" "+ad.State+" "+ad.PostalCode)), ", "),
			Phone:   a.Person.Phone, Email: a.Person.Email, Emergency: a.Person.EmergencyContact,
			Language: pr.T("web.lang.name." + a.Person.Language), Status: pr.T("web.status." + string(a.Status)),
			Reference: a.Reference, Created: s.formatTime(pr, a.CreatedAt)}
		for _, d := range a.Documents {
			name := d.Type
			if doc, ok := s.svc.Settings.Document(d.Type); ok {
				name = config.DocumentName(doc, l, pr.T)
			}
			cp.Documents = append(cp.Documents, name)
		}
		for _, e := range acc.Events {
			ev := accessEvent{At: s.formatTime(pr, e.At), Action: pr.T("access.action." + e.Action), Denied: e.Outcome == "denied"}
			if ev.Action == "access.action."+e.Action {
				ev.Action = e.Action
			}
			if e.Purpose != "" {
				ev.Purpose = pr.T("web.purpose." + e.Purpose)
				if ev.Purpose == "web.purpose."+e.Purpose {
					ev.Purpose = e.Purpose
				}
			}
			cp.Events = append(cp.Events, ev)
		}
		v.Copies = append(v.Copies, cp)
	}
	p := s.newPage(r, c, "access.title")
	p.Data = v
	return s.views.render(w, http.StatusOK, "access", "layout", p)
}

func nonEmpty(parts ...string) []string {
	var out []string
	for _, s := range parts {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
