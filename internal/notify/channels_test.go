package notify

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeProvider is a local stand-in for an SMS provider's API.
type fakeProvider struct {
	mu     sync.Mutex
	status int
	got    []*http.Request
	bodies []string
}

func (f *fakeProvider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.got, f.bodies = append(f.got, r), append(f.bodies, string(b))
	status := f.status
	f.mu.Unlock()
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `{"error":"bad number +12035550147"}`)
}

func TestSMSHTTP(t *testing.T) {
	when := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	msg := Message{Channel: SMS, To: "(203) 555-0147", When: when, Place: "City Hall, 165 Church St", Body: `Su cita: "miércoles" 09:00 & más`}
	tests := []struct {
		name, ctype, tmpl string
		status            int
		wantBody          string
		wantErr           error
	}{
		{"json", "", `{"to":{{json .To}},"text":{{json .Text}}}`, 201, `{"to":"+12035550147","text":"Su cita: \"miércoles\" 09:00 \u0026 más"}`, nil},
		{"form", "application/x-www-form-urlencoded", `To={{form .To}}&Body={{form .Text}}`, 200, "To=%2B12035550147&Body=Su+cita%3A+%22mi%C3%A9rcoles%22+09%3A00+%26+m%C3%A1s", nil},
		{"refused", "", `{"to":{{json .To}}}`, 400, "", ErrProvider},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeProvider{status: tc.status}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			s, err := NewSMSHTTP(srv.URL+"/messages", "Authorization", "Bearer k3y", tc.ctype, tc.tmpl, srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(context.Background(), msg)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Send = %v, want %v", err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "0147") {
				t.Errorf("the error repeats the number: %v", err)
			}
			if len(fake.got) != 1 {
				t.Fatalf("provider got %d requests", len(fake.got))
			}
			r := fake.got[0]
			if r.Method != http.MethodPost || r.URL.Path != "/messages" || r.Header.Get("Authorization") != "Bearer k3y" {
				t.Errorf("request = %s %s auth %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
			}
			if want := map[string]string{"": "application/json"}[tc.ctype]; want != "" && r.Header.Get("Content-Type") != want {
				t.Errorf("content type = %q", r.Header.Get("Content-Type"))
			}
			if tc.wantBody != "" && fake.bodies[0] != tc.wantBody {
				t.Errorf("body = %s\nwant   %s", fake.bodies[0], tc.wantBody)
			}
		})
	}
}

func TestSMSHTTPSettings(t *testing.T) {
	for _, tc := range []struct{ url, body string }{
		{"http://sms.example.com/send", `{}`}, // plain http over the internet
		{"sms.example.com/send", `{}`},
		{"https://sms.example.com/send", `{{json .Nope`},
		{"https://sms.example.com/send", ""},
	} {
		if _, err := NewSMSHTTP(tc.url, "Authorization", "x", "", tc.body, nil); err == nil {
			t.Errorf("NewSMSHTTP(%q, %q) accepted", tc.url, tc.body)
		}
	}
	if _, err := NewSMSHTTP("http://127.0.0.1:9/send", "", "", "", "{}", nil); err != nil {
		t.Errorf("a local relay over http: %v", err)
	}
}

func TestChannels(t *testing.T) {
	smtpOnly := &SMTP{}
	sms, err := NewSMSHTTP("https://sms.example.com", "", "", "", "{}", nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		s          Sender
		email, txt bool
	}{
		{"none", nil, false, false},
		{"log delivers nothing", Log{Logger: slog.New(slog.DiscardHandler)}, false, false},
		{"relay", smtpOnly, true, false},
		{"relay with gateway", &SMTP{SMSDomain: "sms.example.net"}, true, true},
		{"provider", sms, false, true},
		{"route", Route{Email: smtpOnly, SMS: sms}, true, true},
		{"route, log for sms", Route{Email: smtpOnly, SMS: Log{}}, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if Can(tc.s, Email) != tc.email || Can(tc.s, SMS) != tc.txt {
				t.Errorf("email %v sms %v, want %v %v", Can(tc.s, Email), Can(tc.s, SMS), tc.email, tc.txt)
			}
		})
	}
	err = Route{Email: smtpOnly}.Send(context.Background(), Message{Channel: SMS, To: "2035550147", When: time.Now(), Place: "x"})
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("routing SMS with no SMS sender = %v", err)
	}
}
