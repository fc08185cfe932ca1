package web

import (
	"net/http"
	"strings"

	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/fee"
)

// settingsView is a read-only summary of the program settings; they are
// changed in the settings file, which is validated at start.
type settingsView struct {
	Program, City, Languages, Mode, Rules string
	Fees                                  []fact
	Documents                             []docSetting
	Methods, Waivers, Reasons             []string
	Retention                             []fact
}

type fact struct{ Label, Value string }

type docSetting struct {
	Name                string
	Identity, Residency int
	Photo, DOB          bool
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request, c *call) error {
	st := *s.svc.Settings
	p := s.newPage(r, c, "web.settings.title")
	money := func(cents int) string { return fee.Format(cents, st.Fees.Currency, c.P.Lang) }
	v := settingsView{Program: st.Program.Name, City: st.Program.City, Languages: strings.Join(st.Program.Languages, ", "),
		Mode: c.P.T("web.settings.mode." + st.Evidence.Mode)}
	v.Fees = []fact{
		{c.P.T("web.category.adult"), money(st.Fees.Adult)},
		{c.P.T("web.category.child"), money(st.Fees.Child)},
		{c.P.T("web.settings.child_under"), itoa(st.Fees.ChildUnderAge)},
		{c.P.T("web.settings.replacement"), money(st.Fees.Replacement)},
	}
	if st.Fees.SeniorFromAge > 0 {
		v.Fees = append(v.Fees, fact{c.P.T("web.category.senior"), money(st.Fees.Senior)},
			fact{c.P.T("web.settings.senior_from"), itoa(st.Fees.SeniorFromAge)})
	}
	if st.Evidence.Mode == config.ModePoints {
		v.Rules = c.P.T("web.settings.rules_points", "identity", st.Evidence.IdentityPoints, "residency", st.Evidence.ResidencyPoints)
	} else {
		v.Rules = c.P.T("web.settings.rules_documents", "identity", st.Evidence.IdentityDocuments, "residency", st.Evidence.ResidencyDocuments)
	}
	for _, d := range st.Documents {
		v.Documents = append(v.Documents, docSetting{Name: config.DocumentName(d, c.P.Lang, c.P.T),
			Identity: d.IdentityPoints, Residency: d.ResidencyPoints, Photo: d.HasPhoto, DOB: d.HasDOB})
	}
	for _, m := range st.Fees.PaymentMethods {
		v.Methods = append(v.Methods, c.P.T("fee.method."+m))
	}
	for _, m := range st.Fees.WaiverReasons {
		v.Waivers = append(v.Waivers, c.P.T("fee.waiver."+m))
	}
	for _, m := range st.Review.RejectReasons {
		v.Reasons = append(v.Reasons, c.P.T("review.reason."+m))
	}
	v.Retention = []fact{
		{c.P.T("web.settings.draft_days"), itoa(st.Retention.DraftDays)},
		{c.P.T("web.settings.rejected_days"), itoa(st.Retention.RejectedDays)},
		{c.P.T("web.settings.no_list"), yesNo(c, st.Retention.NoListMode)},
	}
	p.Data = v
	return s.views.render(w, http.StatusOK, "settings", "layout", p)
}

func yesNo(c *call, b bool) string {
	if b {
		return c.P.T("web.yes")
	}
	return c.P.T("web.no")
}
