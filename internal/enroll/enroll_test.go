package enroll_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/site"
)

var ctx = context.Background()

// fixedNow is a weekday morning in the program's time zone.
var fixedNow = time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)

type env struct {
	app        *app.App
	clerkA     auth.Actor
	clerkB     auth.Actor
	supervisor auth.Actor
	auditor    auth.Actor
}

func newEnv(t testing.TB, dbURL string) *env {
	t.Helper()
	a := apptest.Open(t, dbURL, func() time.Time { return fixedNow })
	siteA := apptest.Site(t, a, "City Hall", site.KindCityHall)
	siteB := apptest.Site(t, a, "Partner", site.KindPartner)
	return &env{app: a,
		clerkA:     apptest.Staff(t, a, "clerk-a", auth.RoleClerk, siteA.ID),
		clerkB:     apptest.Staff(t, a, "clerk-b", auth.RoleClerk, siteB.ID),
		supervisor: apptest.Staff(t, a, "super", auth.RoleSupervisor, siteA.ID),
		auditor:    apptest.Staff(t, a, "audit", auth.RoleAuditor, ""),
	}
}

// each runs fn on SQLite and, when configured, PostgreSQL.
func each(t *testing.T, fn func(t *testing.T, e *env)) {
	apptest.Each(t, func(t *testing.T, dbURL string) { fn(t, newEnv(t, dbURL)) })
}

func testPhoto(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 480, 600))
	for y := 0; y < 600; y++ {
		for x := 0; x < 480; x++ {
			img.Set(x, y, color.RGBA{uint8(x / 2), uint8(y / 3), 180, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func intake(t testing.TB, given, surname string) enroll.Intake {
	t.Helper()
	return enroll.Intake{
		Person: person.Person{
			GivenNames: given, FirstSurname: surname, SecondSurname: "Peña",
			DateOfBirth: person.Date{Year: 1987, Month: 4, Day: 19}, Sex: person.SexFemale,
			Address:  person.Address{Line1: "123 Grand Avenue", City: "New Haven", State: "CT", PostalCode: "06513"},
			Language: "es", Phone: "203-555-0142",
		},
		Documents: []evidence.Shown{
			{Type: "passport", Issuer: "Ecuador", Expires: person.Date{Year: 2029, Month: 1, Day: 1}},
			{Type: "lease"},
		},
		Photo:          testPhoto(t),
		Payment:        fee.Payment{Method: "cash", AmountCents: 1000},
		IdempotencyKey: given + surname,
	}
}

func TestSubmitReadApprove(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		in := intake(t, "María José", "Núñez")
		got, err := e.app.Enroll.Submit(ctx, e.clerkA, "", in)
		if err != nil {
			t.Fatalf("Submit: %v", err)
		}
		if got.Status != enroll.StatusSubmitted || got.Reference == "" || !got.Evidence.OK {
			t.Fatalf("Submit = status %s ref %q evidence %+v; want submitted with a reference and enough evidence", got.Status, got.Reference, got.Evidence)
		}
		if got.Quote.AmountCents != 1000 || got.Quote.Category != enroll.CategoryAdult {
			t.Errorf("Quote = %+v, want adult 1000", got.Quote)
		}
		read, err := e.app.Enroll.Get(ctx, e.supervisor, got.ID, enroll.PurposeReview)
		if err != nil {
			t.Fatal(err)
		}
		if read.Person.FullName() != "María José Núñez Peña" || read.Person.DateOfBirth.String() != "1987-04-19" ||
			read.Person.Address.PostalCode != "06513" || len(read.Documents) != 2 || len(read.Photo) == 0 {
			t.Errorf("Get = %+v; personal data did not round-trip", read.Person)
		}
		if !bytes.HasPrefix(read.Photo, []byte{0xFF, 0xD8}) {
			t.Errorf("stored photo is not a JPEG")
		}
		if err := e.app.Enroll.Approve(ctx, e.clerkA, got.ID, ""); err == nil {
			t.Error("a clerk approved an application; want refusal")
		}
		if err := e.app.Enroll.Approve(ctx, e.supervisor, got.ID, "documents checked"); err != nil {
			t.Fatal(err)
		}
		if err := e.app.Enroll.Reject(ctx, e.supervisor, got.ID, "other", ""); !errors.Is(err, enroll.ErrState) {
			t.Errorf("deciding twice: err = %v, want ErrState", err)
		}
		after, err := e.app.Enroll.Get(ctx, e.supervisor, got.ID, enroll.PurposeReview)
		if err != nil || after.Status != enroll.StatusApproved || after.DecisionNote != "documents checked" {
			t.Errorf("after approve: %v %v %q", err, after.Status, after.DecisionNote)
		}
		want := "[application.submit/ok application.read/ok application.approve/denied application.approve/ok application.read/ok]"
		if got := trail(t, e, got.ID, func(ev audit.Event) string { return ev.Action + "/" + ev.Outcome }); got != want {
			t.Errorf("audit trail = %s, want %s", got, want)
		}
	})
}

// TestGetWithoutPhoto: the receipt's read leaves the portrait unread but
// gives everything else Get gives, and is checked and audited like Get.
func TestGetWithoutPhoto(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		got, err := e.app.Enroll.Submit(ctx, e.clerkA, "", intake(t, "Rosa", "Quispe"))
		if err != nil {
			t.Fatal(err)
		}
		whole, err := e.app.Enroll.Get(ctx, e.clerkA, got.ID, enroll.PurposeReceipt)
		if err != nil {
			t.Fatal(err)
		}
		text, err := e.app.Enroll.GetWithoutPhoto(ctx, e.clerkA, got.ID, enroll.PurposeReceipt)
		if err != nil {
			t.Fatal(err)
		}
		if len(whole.Photo) == 0 || text.Photo != nil {
			t.Fatalf("photo: Get %d bytes, GetWithoutPhoto %d bytes; want some, then none", len(whole.Photo), len(text.Photo))
		}
		whole.Photo = nil
		if fmt.Sprintf("%+v", *whole) != fmt.Sprintf("%+v", *text) {
			t.Errorf("GetWithoutPhoto differs from Get beyond the photo:\n%+v\n%+v", *text, *whole)
		}
		if _, err := e.app.Enroll.GetWithoutPhoto(ctx, e.clerkB, got.ID, enroll.PurposeReceipt); !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("another site's clerk: err = %v, want ErrForbidden", err)
		}
		want := "[application.submit/ok/ application.read/ok/receipt application.read/ok/receipt application.read/denied/]"
		if got := trail(t, e, got.ID, func(ev audit.Event) string { return ev.Action + "/" + ev.Outcome + "/" + ev.Purpose }); got != want {
			t.Errorf("audit trail = %s, want %s", got, want)
		}
	})
}

// trail is an application's audit events, oldest first, each as show
// writes it, in fmtList's form.
func trail(t *testing.T, e *env, id string, show func(audit.Event) string) string {
	t.Helper()
	events, err := e.app.DB.AuditEvents(ctx, audit.Filter{RecordType: "application", RecordID: id})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(events) - 1; i >= 0; i-- {
		out = append(out, show(events[i]))
	}
	return fmtList(out)
}

func fmtList(s []string) string {
	var b bytes.Buffer
	b.WriteString("[")
	for i, v := range s {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(v)
	}
	b.WriteString("]")
	return b.String()
}

func TestValidationStoresNothing(t *testing.T) {
	e := newEnv(t, "")
	tests := []struct {
		name  string
		edit  func(*enroll.Intake)
		field string
		key   string
	}{
		{"no given names", func(in *enroll.Intake) { in.Person.GivenNames = "" }, "given_names", "error.required"},
		{"future birth", func(in *enroll.Intake) { in.Person.DateOfBirth = person.Date{Year: 2030, Month: 1, Day: 1} }, "date_of_birth", "error.dob_future"},
		{"bad email", func(in *enroll.Intake) { in.Person.Email = "not-an-email" }, "email", "error.email"},
		{"no residency document", func(in *enroll.Intake) { in.Documents = in.Documents[:1] }, "documents", "enroll.error.not_enough_documents"},
		{"unknown document", func(in *enroll.Intake) { in.Documents[0].Type = "ssn_card" }, "documents.0.type", "error.invalid_choice"},
		{"not an image", func(in *enroll.Intake) { in.Photo = []byte("hello") }, "photo", "photo.not_image"},
		{"no photo", func(in *enroll.Intake) { in.Photo = nil }, "photo", "enroll.error.photo_required"},
		{"wrong amount", func(in *enroll.Intake) { in.Payment.AmountCents = 500 }, "payment_amount", "fee.error.amount_mismatch"},
		{"waiver without reason", func(in *enroll.Intake) { in.Payment = fee.Payment{Method: "waiver"} }, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := intake(t, "Ana", "Lopez")
			tt.edit(&in)
			_, err := e.app.Enroll.Submit(ctx, e.clerkA, "", in)
			var ve *enroll.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Submit err = %v, want a ValidationError", err)
			}
			if tt.field != "" && tt.key != "" && ve.Fields.For(tt.field) != tt.key {
				t.Errorf("error for %s = %q, want %q (all: %v)", tt.field, ve.Fields.For(tt.field), tt.key, ve.Fields)
			}
			if tt.field != "" && tt.key == "" && ve.Fields.For(tt.field) == "" {
				t.Errorf("no error for %s (all: %v)", tt.field, ve.Fields)
			}
		})
	}
	counts, err := e.app.DB.CountApplications(ctx, "")
	if err != nil || len(counts) != 0 {
		t.Errorf("after only invalid submissions, counts = %v, %v; want none stored", counts, err)
	}
}

func TestIdempotentSubmit(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		in := intake(t, "Jean", "Baptiste")
		var wg sync.WaitGroup
		ids := make([]string, 6)
		errs := make([]error, 6)
		for i := range ids {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				a, err := e.app.Enroll.Submit(ctx, e.clerkA, "", in)
				errs[i] = err
				if err == nil {
					ids[i] = a.ID
				}
			}(i)
		}
		wg.Wait()
		for i := range ids {
			if errs[i] != nil {
				t.Fatalf("submit %d: %v", i, errs[i])
			}
			if ids[i] != ids[0] {
				t.Errorf("submit %d made %s, submit 0 made %s; want one application", i, ids[i], ids[0])
			}
		}
		counts, _ := e.app.DB.CountApplications(ctx, "")
		if counts["submitted"] != 1 {
			t.Errorf("counts = %v, want exactly 1 submitted", counts)
		}
	})
}

// TestRepeatedKeyFindsItsRecord: a new intake is inserted without looking
// its idempotency key up first; a key used before still finds its record —
// a draft saved under it is completed, a submission repeated is answered
// with the record it made — and nothing else is stored.
func TestRepeatedKeyFindsItsRecord(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		in := intake(t, "Kwame", "Mensah")
		partial := in
		partial.Documents = nil
		d, err := e.app.Enroll.SaveDraft(ctx, e.clerkA, "", partial)
		if err != nil {
			t.Fatalf("SaveDraft: %v", err)
		}
		again, err := e.app.Enroll.SaveDraft(ctx, e.clerkA, "", partial)
		if err != nil || again.ID != d.ID || again.Status != enroll.StatusDraft {
			t.Fatalf("SaveDraft again with its key = %+v, %v; want draft %s", again, err, d.ID)
		}
		got, err := e.app.Enroll.Submit(ctx, e.clerkA, "", in)
		if err != nil {
			t.Fatalf("Submit with the draft's key: %v", err)
		}
		if got.ID != d.ID || got.Status != enroll.StatusSubmitted || got.Repeated {
			t.Fatalf("Submit with the draft's key = %s %s repeated %v; want draft %s submitted", got.ID, got.Status, got.Repeated, d.ID)
		}
		rep, err := e.app.Enroll.Submit(ctx, e.clerkA, "", in)
		if err != nil || rep.ID != d.ID || !rep.Repeated || rep.Status != enroll.StatusSubmitted {
			t.Fatalf("Submit repeated = %+v, %v; want %s, repeated, submitted", rep, err, d.ID)
		}
		// Another clerk's key space is their own.
		other, err := e.app.Enroll.Submit(ctx, e.clerkB, "", in)
		if err != nil || other.ID == d.ID || other.Repeated {
			t.Fatalf("another clerk's Submit with the same key = %+v, %v; want a new application", other, err)
		}
		counts, _ := e.app.DB.CountApplications(ctx, "")
		if counts["submitted"] != 2 || counts["draft"] != 0 {
			t.Errorf("counts = %v, want 2 submitted, no draft", counts)
		}
		want := "[application.draft application.draft application.submit]"
		if got := trail(t, e, d.ID, func(ev audit.Event) string { return ev.Action }); got != want {
			t.Errorf("audit trail = %s, want %s", got, want)
		}
	})
}

func TestDraftThenSubmit(t *testing.T) {
	e := newEnv(t, "")
	in := intake(t, "Nguyễn", "Thị")
	partial := in
	partial.Person.Address = person.Address{}
	partial.Documents = nil
	d, err := e.app.Enroll.SaveDraft(ctx, e.clerkA, "", partial)
	if err != nil {
		t.Fatalf("SaveDraft: %v", err)
	}
	if d.Status != enroll.StatusDraft {
		t.Fatalf("status = %s, want draft", d.Status)
	}
	in.Photo = nil // the draft's photo is kept
	got, err := e.app.Enroll.Submit(ctx, e.clerkA, d.ID, in)
	if err != nil {
		t.Fatalf("Submit(draft): %v", err)
	}
	if got.ID != d.ID || got.Status != enroll.StatusSubmitted || len(got.Photo) == 0 {
		t.Errorf("Submit(draft) = %s %s photo %d bytes; want the draft submitted with its photo", got.ID, got.Status, len(got.Photo))
	}
}

func TestSiteConfinement(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a, err := e.app.Enroll.Submit(ctx, e.clerkA, "", intake(t, "Fatima", "Al-Sayed"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.app.Enroll.Get(ctx, e.clerkA, a.ID, ""); err != nil {
			t.Errorf("clerk of the same site: %v", err)
		}
		for _, who := range []auth.Actor{e.clerkB, e.auditor} {
			if _, err := e.app.Enroll.Get(ctx, who, a.ID, ""); !errors.Is(err, errs.ErrForbidden) {
				t.Errorf("Get by %s err = %v, want ErrForbidden", who.Username, err)
			}
		}
		if _, err := e.app.Enroll.Get(ctx, e.clerkB, "app_guessedid0000000", ""); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("guessed id err = %v, want ErrNotFound", err)
		}
		list, err := e.app.Enroll.List(ctx, e.clerkB, enroll.ListFilter{})
		if err != nil || len(list) != 0 {
			t.Errorf("clerk B's list = %v, %v; want empty", list, err)
		}
		denied, err := e.app.DB.AuditEvents(ctx, audit.Filter{Actor: e.clerkB.StaffID})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, ev := range denied {
			if ev.Outcome == "denied" {
				n++
			}
		}
		if n != 2 {
			t.Errorf("denied events for clerk B = %d, want 2 (wrong site, guessed id)", n)
		}
	})
}

// TestNoPlaintextInDatabase writes applicants with unique names and scans
// every byte of the SQLite files for them.
func TestNoPlaintextInDatabase(t *testing.T) {
	e := newEnv(t, "")
	in := intake(t, "Zebulonia", "Quetzalcoatlova")
	in.Person.Address.Line1 = "987 Uniquestreet Road"
	in.Person.Email = "zebulonia.unique@example.org"
	if _, err := e.app.Enroll.Submit(ctx, e.clerkA, "", in); err != nil {
		t.Fatal(err)
	}
	needles := []string{"Zebulonia", "Quetzalcoatlova", "1987-04-19", "Uniquestreet", "zebulonia.unique", "Ecuador", "203-555-0142"}
	path := e.app.DB.Path()
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) {
				t.Errorf("%s contains plaintext %q", filepath.Base(f), n)
			}
		}
	}
}

// failAfter is a random source that fails after n reads, to break a
// submission midway.
type failAfter struct{ n int }

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("entropy source failed")
	}
	f.n--
	for i := range p {
		p[i] = byte(i*7 + f.n)
	}
	return len(p), nil
}

func TestFailureMidwayLeavesNothing(t *testing.T) {
	e := newEnv(t, "")
	for n := 0; n < 8; n++ {
		svc := enroll.New(e.app.DB.Enroll(), e.app.Vault, e.app.Settings, func() time.Time { return fixedNow }, &failAfter{n: n})
		_, err := svc.Submit(ctx, e.clerkA, "", intake(t, "Rosa", "Parks"))
		if err == nil {
			continue // enough randomness for the whole submission
		}
		counts, _ := e.app.DB.CountApplications(ctx, "")
		if len(counts) != 0 {
			t.Errorf("failing after %d random reads left applications %v", n, counts)
		}
	}
}

func TestWrongMasterKeyIsClearError(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	a, err := app.Open(ctx, app.Options{DataDir: dir, Create: true})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	if err := os.Remove(filepath.Join(dir, app.KeyFile)); err != nil {
		t.Fatal(err)
	}
	_, err = app.Open(ctx, app.Options{DataDir: dir, Create: true})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("restore the key file")) {
		t.Errorf("Open with a new key over an old database: err = %v, want a clear mismatch error", err)
	}
}

func TestOtherMasterKeyIsClearError(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	other := filepath.Join(t.TempDir(), "other")
	for _, d := range []string{dir, other} {
		a, err := app.Open(ctx, app.Options{DataDir: d, Create: true})
		if err != nil {
			t.Fatal(err)
		}
		a.Close()
	}
	key, err := os.ReadFile(filepath.Join(other, app.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, app.KeyFile), key, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = app.Open(ctx, app.Options{DataDir: dir})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("does not match this database")) {
		t.Errorf("Open with another data dir's key: err = %v, want a clear mismatch error", err)
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
