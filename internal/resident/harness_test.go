package resident

import (
	"bytes"
	"context"
	"html"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/booking"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/notify"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/site"
	"github.com/cityid/cityid/internal/store/storetest"
)

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

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeCards records suspensions; the real *card.Service has the same methods.
type fakeCards struct {
	mu        sync.Mutex
	cards     []card.Card
	suspended []string
}

func (f *fakeCards) List(ctx context.Context, fl card.Filter) ([]card.Card, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []card.Card
	for _, c := range f.cards {
		if c.ApplicationID == fl.ApplicationID && (len(fl.Statuses) == 0 || c.Status == fl.Statuses[0]) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *fakeCards) ByNumber(ctx context.Context, typed string) (card.Card, error) {
	n, err := card.ParseNumber(typed)
	if err != nil {
		return card.Card{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.cards {
		if c.Number == n {
			return c, nil
		}
	}
	return card.Card{}, errs.ErrNotFound
}

func (f *fakeCards) Suspend(ctx context.Context, by auth.Actor, id, reason string) (card.Card, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, c := range f.cards {
		if c.ID == id {
			f.cards[i].Status = card.StatusSuspended
			f.suspended = append(f.suspended, id+":"+reason+":"+by.StaffID)
			return f.cards[i], nil
		}
	}
	return card.Card{}, errs.ErrNotFound
}

func (f *fakeCards) RecordLostReport(ctx context.Context, applicationID string) error { return nil }

// outbox is a notify.Sender that keeps messages.
type outbox struct {
	mu   sync.Mutex
	msgs []notify.Message
}

func (o *outbox) Send(ctx context.Context, m notify.Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	o.mu.Lock()
	o.msgs = append(o.msgs, m)
	o.mu.Unlock()
	return nil
}

type env struct {
	app    *app.App
	site   *Site
	ts     *httptest.Server
	clk    *clock
	siteID string
	cards  *fakeCards
	out    *outbox
}

// newEnv opens a real app (SQLite in a temp dir, or PostgreSQL with
// postgres=true when configured), serves the public site and publishes
// two weeks of slots at one site.
func newEnv(t testing.TB, postgres bool, opts Options) *env {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)}
	ao := auth.DefaultOptions()
	ao.Argon = auth.TestParams()
	dbURL := ""
	if postgres {
		u, ok := storetest.PostgresURL(t)
		if !ok {
			t.Skipf("%s not set: skipping the PostgreSQL run", storetest.EnvPostgres)
		}
		dbURL = u
	}
	a, err := app.Open(ctx, app.Options{DataDir: filepath.Join(t.TempDir(), "data"), DBURL: dbURL, Create: true, Now: clk.Now, Auth: &ao})
	if err != nil {
		t.Fatalf("app.Open: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	e := &env{app: a, clk: clk, cards: &fakeCards{}, out: &outbox{}}
	if opts.Cards == nil {
		opts.Cards = e.cards
	}
	if opts.Notify == nil {
		opts.Notify = e.out
	}
	if opts.PowBits == 0 {
		opts.PowBits = 4
	}
	e.site, err = NewSite(a.Services, opts)
	if err != nil {
		t.Fatalf("NewSite: %v", err)
	}
	var hours site.WeekHours
	for d := time.Monday; d <= time.Friday; d++ {
		hours[d] = []site.Span{{From: "09:00", To: "17:00"}}
	}
	hours[time.Saturday] = []site.Span{{From: "09:00", To: "12:00"}}
	st, err := a.Sites.Create(ctx, auth.System(), site.Site{Name: "City Hall", Kind: site.KindCityHall, Address: "165 Church St",
		Phone: "203-946-8000", Hours: hours, Languages: []string{"English", "Español"}, Accessibility: "Step-free entrance on Church St"})
	if err != nil {
		t.Fatalf("create site: %v", err)
	}
	e.siteID = st.ID
	if err := e.site.Booking().SetRules(ctx, st.ID, booking.DefaultRules()); err != nil {
		t.Fatal(err)
	}
	today := person.DateOf(clk.Now())
	if _, err := e.site.Booking().Publish(ctx, st.ID, today, person.DateOf(clk.Now().AddDate(0, 0, 13))); err != nil {
		t.Fatal(err)
	}
	e.ts = httptest.NewServer(e.site)
	t.Cleanup(e.ts.Close)
	return e
}

type resp struct {
	status int
	body   string
	header http.Header
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (e *env) do(t testing.TB, method, path string, form url.Values, hdr ...string) resp {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, string(b), res.Header}
}

// hidden returns the hidden and text values a rendered form carries.
func hidden(body, name string) string {
	re := regexp.MustCompile(`name="` + name + `"[^>]*value="([^"]*)"`)
	if m := re.FindStringSubmatch(body); m != nil {
		return html.UnescapeString(m[1])
	}
	return ""
}

// solved adds a solved proof-of-work for the challenge in body.
func solved(body string, f url.Values, bits int) url.Values {
	c := hidden(body, "pow_challenge")
	if c != "" {
		f.Set("pow_challenge", c)
		f.Set("pow_nonce", Solve(c, bits))
	}
	return f
}

var codeRE = regexp.MustCompile(`[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}`)

func applyForm(given, surname string) url.Values {
	return url.Values{
		"given_names": {given}, "first_surname": {surname}, "second_surname": {"López"},
		"dob_day": {"7"}, "dob_month": {"5"}, "dob_year": {"1988"},
		"address_line1": {"12 Grand Ave"}, "address_city": {"New Haven"}, "address_state": {"CT"}, "address_postal_code": {"06513"},
		"doc": {"passport", "utility_bill"}, "language": {"es"}, "remind": {"none"},
	}
}

// preapply posts the pre-application form and returns the code.
func (e *env) preapply(t testing.TB, f url.Values) string {
	t.Helper()
	page := e.do(t, "GET", "/es/apply", nil)
	f.Set("request_key", hidden(page.body, "request_key"))
	r := e.do(t, "POST", "/es/apply", solved(page.body, f, 4))
	if r.status != http.StatusOK {
		t.Fatalf("POST /es/apply = %d\n%s", r.status, r.body)
	}
	code := codeRE.FindString(r.body)
	if code == "" {
		t.Fatalf("no code on the done page:\n%s", r.body)
	}
	return code
}

// The real card service is what the site suspends lost cards through.
var _ Cards = (*card.Service)(nil)
