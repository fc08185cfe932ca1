package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/enroll"
)

// duplicatesView puts an application beside the earlier records screening
// found, field by field, for the supervisor's decision.
type duplicatesView struct {
	A          *enroll.Application
	Candidates []candidateView
}

type candidateView struct {
	ID            string
	Summary       string // what decided the score, in a sentence
	Percent       string
	Strong        bool
	Other         *enroll.Application // nil when erased ("no list")
	Erased        bool
	Rows          []comparisonRow
	Cards         []cardRow
	ActionSame    string
	ActionOther   string
	ActionReplace string
	ActiveCards   bool // the earlier record has a card that is still valid
}

// comparisonRow is one compared field: the two normalized values and how
// they agree, as a class the stylesheet colours (agree, partial, differ,
// missing) and a translated word, so colour is never the only signal.
type comparisonRow struct {
	Field, Left, Right, Level, Class string
}

func levelClass(level string) string {
	switch level {
	case "exact", "strong":
		return "agree"
	case "weak", "phonetic":
		return "partial"
	case "different":
		return "differ"
	}
	return "missing"
}

// matchSentence says in the reader's language what decided a score: "Same
// given name and birth date; different address — people move."
func matchSentence(p *page, m enroll.MatchSummary) string {
	list := func(fs []string) string {
		names := make([]string, len(fs))
		for i, f := range fs {
			names[i] = p.T("linkage.factor." + f)
		}
		if len(names) < 2 {
			return strings.Join(names, "")
		}
		return p.T("linkage.summary.and", "first", strings.Join(names[:len(names)-1], ", "), "last", names[len(names)-1])
	}
	var parts []string
	for _, g := range []struct {
		key string
		fs  []string
	}{{"linkage.summary.same", m.Same}, {"linkage.summary.nearly", m.Nearly}, {"linkage.summary.different", m.Different}} {
		if len(g.fs) > 0 {
			parts = append(parts, p.T(g.key, "fields", list(g.fs)))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	out := strings.Join(parts, "; ")
	if len(m.Reasons) > 0 {
		rs := make([]string, len(m.Reasons))
		for i, r := range m.Reasons {
			rs[i] = p.T("linkage.reason." + r)
		}
		out += " — " + strings.Join(rs, "; ")
	}
	r, n := utf8.DecodeRuneInString(out)
	return string(unicode.ToUpper(r)) + out[n:] + "."
}

func (s *Server) duplicatesPage(w http.ResponseWriter, r *http.Request, c *call) error {
	a, reviews, err := s.svc.Applications.Duplicates(r.Context(), c.Actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	p := s.newPage(r, c, "dup.title")
	v := duplicatesView{A: a}
	base := "/staff/applications/" + url.PathEscape(a.ID) + "/duplicates/"
	for _, rv := range reviews {
		cv := candidateView{ID: rv.CandidateID, Other: rv.Candidate, Erased: rv.Erased,
			Percent: matchPercent(p, rv.Probability), Strong: rv.Probability >= s.strongMatch(),
			ActionSame: base + url.PathEscape(rv.CandidateID) + "/same", ActionOther: base + url.PathEscape(rv.CandidateID) + "/distinct"}
		cv.Summary = matchSentence(p, rv.Explanation.Summary)
		for _, f := range rv.Explanation.Fields {
			cv.Rows = append(cv.Rows, comparisonRow{Field: p.T("linkage.field." + f.Field), Left: f.Left, Right: f.Right,
				Level: p.T("linkage.level." + f.Level), Class: levelClass(f.Level)})
		}
		cv.Cards = s.applicationCards(r.Context(), c, rv.CandidateID)
		cv.ActionReplace = base + url.PathEscape(rv.CandidateID) + "/replace"
		for _, cr := range cv.Cards {
			if cr.Status == card.StatusActive || cr.Status == card.StatusSuspended {
				cv.ActiveCards = true
			}
		}
		v.Candidates = append(v.Candidates, cv)
	}
	p.Data = v
	return s.views.render(w, http.StatusOK, "duplicates", "layout", p)
}

// matchPercent writes a match probability for the reviewer. A statistical
// match is never certain: rounding 0.997 to "100%" would say it is, so the
// ends read "over 99%" and "under 1%".
func matchPercent(p *page, x float64) string {
	switch {
	case x >= 0.995:
		return p.T("dup.percent_over")
	case x < 0.005:
		return p.T("dup.percent_under")
	}
	return fmt.Sprintf("%.0f%%", 100*x)
}

func (s *Server) strongMatch() float64 {
	if t := s.svc.Settings.Linkage.StrongMatch; t > 0 {
		return t
	}
	return 0.95
}

// duplicateReplace records "same person, and this application replaces the
// earlier record": the pair is linked, the application goes back to the
// normal queue, and the earlier record's valid cards are revoked (reason
// "duplicate") so one person holds one card.
func (s *Server) duplicateReplace(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, cand := r.PathValue("id"), r.PathValue("candidate")
	if err := s.svc.Applications.LinkDuplicate(r.Context(), c.Actor, id, cand); err != nil {
		return err
	}
	if s.svc.Cards != nil {
		cards, err := s.svc.Cards.List(r.Context(), card.Filter{ApplicationID: cand, Limit: 20})
		if err != nil {
			return err
		}
		for _, cd := range cards {
			if cd.Status != card.StatusActive && cd.Status != card.StatusSuspended {
				continue
			}
			if _, err := s.svc.Cards.Revoke(r.Context(), c.Actor, cd.ID, "duplicate"); err != nil {
				return err
			}
		}
	}
	http.Redirect(w, r, "/staff/applications/"+url.PathEscape(id)+"?purpose="+string(enroll.PurposeReview), http.StatusSeeOther)
	return nil
}

// duplicateDecision records "same person" (the application is rejected as a
// duplicate) or "different people" (remembered; never flagged again).
func (s *Server) duplicateDecision(same bool) func(http.ResponseWriter, *http.Request, *call) error {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		if err := parseForm(w, r); err != nil {
			return err
		}
		id, cand := r.PathValue("id"), r.PathValue("candidate")
		note := strings.TrimSpace(r.PostForm.Get("note"))
		if err := s.svc.Applications.ResolveDuplicate(r.Context(), c.Actor, id, cand, same, note); err != nil {
			return err
		}
		if same {
			http.Redirect(w, r, "/staff/queue?done=1", http.StatusSeeOther)
			return nil
		}
		http.Redirect(w, r, "/staff/applications/"+url.PathEscape(id)+"?purpose="+string(enroll.PurposeReview), http.StatusSeeOther)
		return nil
	}
}
