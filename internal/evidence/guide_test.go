package evidence

import (
	"slices"
	"testing"

	"github.com/cityid/cityid/internal/config"
)

func TestRequirements(t *testing.T) {
	docs := []config.Document{
		{Code: "passport", IdentityPoints: 3, HasPhoto: true},
		{Code: "licence", IdentityPoints: 2, ResidencyPoints: 1},
		{Code: "school_record", IdentityPoints: 1, MaxAge: 17},
		{Code: "lease", ResidencyPoints: 1},
	}
	codes := func(n Need) []string {
		var out []string
		for _, a := range n.Documents {
			out = append(out, a.Code)
		}
		return out
	}
	for _, tc := range []struct {
		name          string
		rules         config.Evidence
		idN, resN     int
		points, photo bool
	}{
		{"documents", config.Evidence{Mode: config.ModeDocuments, IdentityDocuments: 1, ResidencyDocuments: 2, RequireDOB: true}, 1, 2, false, false},
		{"points", config.Evidence{Mode: config.ModePoints, IdentityPoints: 3, ResidencyPoints: 1, RequirePhoto: true}, 3, 1, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := Requirements(tc.rules, docs)
			if g.Identity.N != tc.idN || g.Residency.N != tc.resN || g.Points != tc.points || g.Photo != tc.photo || g.DOB != tc.rules.RequireDOB {
				t.Errorf("guide = %+v", g)
			}
			if got := codes(g.Identity); !slices.Equal(got, []string{"passport", "licence", "school_record"}) {
				t.Errorf("identity documents = %v", got)
			}
			if got := codes(g.Residency); !slices.Equal(got, []string{"licence", "lease"}) {
				t.Errorf("residency documents = %v", got)
			}
			if !slices.Equal(g.Both, []string{"licence"}) {
				t.Errorf("both = %v", g.Both)
			}
			if a := g.Identity.Documents[2]; a.MaxAge != 17 || a.Points != 1 {
				t.Errorf("school record = %+v", a)
			}
		})
	}
}
