package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/i18n"
)

// notActions are action-shaped strings in the packages that write audit
// events that are not actions: the sign-in rate limiter's bucket names.
var notActions = []string{"auth.login_ip", "auth.totp_ip"}

// writtenActions finds the action codes written in the source of every
// package that imports internal/audit: string literals shaped like
// "card.issue" whose first part is that of a catalogued action, that are
// not a translation key. Codes built from parts ("card." + action) are not
// seen here; audit.Actions lists them whole.
func writtenActions(t *testing.T, keys map[string]bool) map[string]string {
	t.Helper()
	prefixes := map[string]bool{}
	for _, a := range audit.Actions() {
		prefixes[strings.SplitN(a, ".", 2)[0]] = true
	}
	shape := regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)+$`)
	byDir := map[string][]*ast.File{}
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		byDir[filepath.Dir(path)] = append(byDir[filepath.Dir(path)], f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{} // code → where
	for _, files := range byDir {
		writes := slices.ContainsFunc(files, func(f *ast.File) bool {
			return slices.ContainsFunc(f.Imports, func(s *ast.ImportSpec) bool { return s.Path.Value == `"github.com/cityid/cityid/internal/audit"` })
		})
		if !writes {
			continue
		}
		for _, f := range files {
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil || !shape.MatchString(s) || !prefixes[strings.SplitN(s, ".", 2)[0]] || keys[s] || slices.Contains(notActions, s) {
					return true
				}
				found[s] = fset.Position(lit.Pos()).String()
				return true
			})
		}
	}
	return found
}

// Every action the program writes to the audit log has a label in every
// shipped language, for the audit log page: an auditor read
// "auth.totp.enroll". A code written in the source but missing from
// audit.Actions fails too, so a new action cannot go unlabelled.
func TestAuditActionLabels(t *testing.T) {
	b, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, lang := range b.Languages() {
		for _, k := range b.Keys(lang) {
			keys[k] = true
		}
	}
	actions := audit.Actions()
	if !slices.IsSorted(actions) || len(slices.Compact(slices.Clone(actions))) != len(actions) {
		t.Errorf("audit.Actions() is not sorted or has a code twice")
	}
	written := writtenActions(t, keys)
	if len(written) < 50 {
		t.Fatalf("found %d action codes in the source, want the ~80 the program writes (is the scan broken?)", len(written))
	}
	for code, where := range written {
		if !slices.Contains(actions, code) {
			t.Errorf("%s writes the audit action %q, which audit.Actions() does not list", where, code)
		}
	}
	for _, lang := range b.Languages() {
		have := map[string]bool{}
		for _, k := range b.Keys(lang) {
			have[k] = true
		}
		for _, code := range actions {
			if !have["audit.action."+code] {
				t.Errorf("%s: no label for the audit action %q (key audit.action.%s)", lang, code, code)
			}
		}
	}
}

// An auditor on a 390 px phone in Spanish reads each action in words with
// its code under it (auditors filter by the code), and each event's moment
// in at most two lines: the spelled-out date and time took six.
func TestBrowserAuditLog390Spanish(t *testing.T) {
	bctx, run := headless(t, 390, 844, 90*time.Second)
	e := newEnv(t)
	e.addStaff(t, "aud1", auth.RoleAuditor, "")
	aud := e.signIn(t, "aud1", testPassword)
	browserAs(t, bctx, e, aud)
	run("Spanish", chromedp.EmulateViewport(390, 844), chromedp.Navigate(e.ts.URL+"/lang/es?next=/staff/audit"), chromedp.WaitVisible(chromedp.CSS("main table")))
	peek(t, bctx, "audit-390-es.png")
	// Each event is a card that fits: the table does not scroll sideways
	// inside its frame, and each field says what it is.
	type frame struct{ Scroll, Client int64 }
	if fit, err := chromedp.Run(bctx, chromedp.Evaluate[frame](`(w => ({Scroll: w.scrollWidth, Client: w.clientWidth}))(document.querySelector('main .table-wrap'))`)); err != nil || fit.Scroll > fit.Client {
		t.Errorf("audit table at 390 px: scroll width %d in a frame of %d (%v); want no sideways scrolling", fit.Scroll, fit.Client, err)
	}
	if label, err := chromedp.Run(bctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('main tbody td:nth-child(3)'), '::before').content`)); err != nil || !strings.Contains(label, "Quién: ") {
		t.Errorf("the actor field at 390 px is labelled %q (%v), want \"Quién: \"", label, err)
	}
	type row struct {
		Action, Code string
		Lines        int
	}
	rows, err := chromedp.Run(bctx, chromedp.Evaluate[[]row](`Array.from(document.querySelectorAll('main tbody tr')).map(tr => ({
		Action: tr.cells[3].innerText.trim(),
		Code: (tr.cells[3].querySelector('code') || {innerText: ''}).innerText.trim(),
		Lines: (td => { const r = document.createRange(); r.selectNodeContents(td); return Math.round(r.getBoundingClientRect().height / parseFloat(getComputedStyle(td).lineHeight)); })(tr.cells[1]) }))`))
	if err != nil || len(rows) == 0 {
		t.Fatalf("audit rows: %v (%d)", err, len(rows))
	}
	sawLogin := false
	for _, r := range rows {
		if r.Code == "" || r.Action == r.Code || !strings.HasSuffix(r.Action, r.Code) {
			t.Errorf("action cell %q: want a label and the code %q under it", r.Action, r.Code)
		}
		if r.Code == "auth.login" {
			sawLogin = true
			if !strings.HasPrefix(r.Action, "Inicio de sesión") {
				t.Errorf("auth.login reads %q, want Inicio de sesión", r.Action)
			}
		}
		if r.Lines > 2 {
			t.Errorf("%s: the time takes %d lines at 390 px, want at most 2", r.Code, r.Lines)
		}
	}
	if !sawLogin {
		t.Errorf("no auth.login event on the page: %+v", rows)
	}
}
