package resident

import (
	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/evidence"
)

// bringView is one "what to bring" group on the home page: the thing to
// prove, the rule in plain words and the city's accepted documents.
type bringView struct {
	Title, Rule string
	Docs        []string
}

// bring turns the evidence guide into the home page's "what to bring":
// accepted documents by what they prove, with the rule above each list and
// the photo and birth-date rules below.
func (s *Site) bring(p *page) (groups []bringView, notes []string) {
	g := evidence.Requirements(s.svc.Settings.Evidence, s.svc.Settings.Documents)
	group := func(titleKey string, n evidence.Need) {
		if len(n.Documents) == 0 {
			return
		}
		v := bringView{Title: p.T(titleKey)}
		if g.Points {
			v.Rule = p.T("resident.bring.points", "n", n.N)
		} else {
			v.Rule = p.T("resident.bring.documents", "n", n.N)
		}
		for _, a := range n.Documents {
			name := a.Code
			if d, ok := s.svc.Settings.Document(a.Code); ok {
				name = config.DocumentName(d, p.Lang, p.T)
			}
			if g.Points {
				name = p.T("resident.bring.worth", "document", name, "n", a.Points)
			}
			if a.MaxAge > 0 {
				name = p.T("resident.bring.max_age", "document", name, "age", a.MaxAge)
			} else if a.MinAge > 0 {
				name = p.T("resident.bring.min_age", "document", name, "age", a.MinAge)
			}
			v.Docs = append(v.Docs, name)
		}
		groups = append(groups, v)
	}
	group("resident.bring.identity", g.Identity)
	group("resident.bring.residency", g.Residency)
	if len(g.Both) > 0 {
		notes = append(notes, p.T("resident.bring.both"))
	}
	if g.Photo {
		notes = append(notes, p.T("resident.bring.photo"))
	}
	if g.DOB {
		notes = append(notes, p.T("resident.bring.dob"))
	}
	if g.MinimumAge > 0 {
		notes = append(notes, p.T("resident.bring.minimum_age", "age", g.MinimumAge))
	}
	return groups, notes
}
