package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"text/template"
	"time"
)

// Capable is a sender that says which channels it can deliver on. The
// resident site offers, and promises, only those: a reminder that would go
// nowhere is never promised.
type Capable interface {
	Channels() []Channel
}

// Can reports whether s delivers on c. A nil sender delivers nothing; a
// sender that does not say (a test's outbox) is taken at its word for any.
func Can(s Sender, c Channel) bool {
	if s == nil {
		return false
	}
	if cs, ok := s.(Capable); ok {
		return slices.Contains(cs.Channels(), c)
	}
	return true
}

// Channels of Log: none. Log is for development; it delivers nothing, so
// nothing may be promised on its account.
func (Log) Channels() []Channel { return nil }

// Channels of SMTP: e-mail, and SMS when an e-mail-to-SMS gateway is set.
func (s *SMTP) Channels() []Channel {
	if s.SMSDomain != "" {
		return []Channel{Email, SMS}
	}
	return []Channel{Email}
}

// Route sends each channel through its own sender (e-mail through the
// relay, SMS through a provider's HTTP API); a nil field is a channel not
// offered.
type Route struct {
	Email, SMS Sender
}

// Channels are the routed channels whose sender can deliver them.
func (r Route) Channels() []Channel {
	var out []Channel
	if Can(r.Email, Email) {
		out = append(out, Email)
	}
	if Can(r.SMS, SMS) {
		out = append(out, SMS)
	}
	return out
}

// Send sends m through its channel's sender.
func (r Route) Send(ctx context.Context, m Message) error {
	s := r.Email
	if m.Channel == SMS {
		s = r.SMS
	}
	if !Can(s, m.Channel) {
		return fmt.Errorf("%w: no sender for %s", ErrInvalid, m.Channel)
	}
	return s.Send(ctx, m)
}

// SMSHTTP sends text messages through an SMS provider's HTTP API: one POST
// per message to URL, with an authorization header and a body made from a
// template, so any provider that takes a form or JSON body fits without
// code. The body template sees .To (the number, digits with a leading +)
// and .Text (the message); {{json .Text}} writes a JSON string and
// {{form .Text}} a form-encoded value.
type SMSHTTP struct {
	URL         string
	Header      string // e.g. "Authorization"; "" sends none
	Value       string // e.g. "Basic …" or "Bearer …", read from the environment, never the settings file
	ContentType string
	body        *template.Template
	client      *http.Client
}

// NewSMSHTTP checks the provider settings: an https URL (http only to
// this machine, for a local relay or a test), a body template that parses.
func NewSMSHTTP(rawURL, header, value, contentType, body string, client *http.Client) (*SMSHTTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("sms provider url %q: not an absolute URL", rawURL)
	}
	local := u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1" || u.Hostname() == "::1"
	if u.Scheme != "https" && !(u.Scheme == "http" && local) {
		return nil, fmt.Errorf("sms provider url %q: must be https (the message and number cross the internet)", rawURL)
	}
	if strings.ContainsAny(header+value, "\r\n") {
		return nil, fmt.Errorf("sms provider auth header: has a line break")
	}
	if body == "" {
		return nil, errors.New("sms provider body template is empty")
	}
	t, err := template.New("sms").Option("missingkey=error").Funcs(template.FuncMap{
		"json": func(s string) (string, error) { b, err := json.Marshal(s); return string(b), err },
		"form": url.QueryEscape,
	}).Parse(body)
	if err != nil {
		return nil, fmt.Errorf("sms provider body template: %w", err)
	}
	if contentType == "" {
		contentType = "application/json"
	}
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	return &SMSHTTP{URL: rawURL, Header: header, Value: value, ContentType: contentType, body: t, client: client}, nil
}

// Channels of SMSHTTP: SMS.
func (s *SMSHTTP) Channels() []Channel { return []Channel{SMS} }

// ErrProvider is a message the SMS provider did not accept.
var ErrProvider = errors.New("sms provider refused the message")

// Send posts m to the provider. Errors name the HTTP status only: a
// provider's error body may repeat the number.
func (s *SMSHTTP) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if m.Channel != SMS {
		return fmt.Errorf("%w: the SMS provider sends text messages only", ErrInvalid)
	}
	to := e164(m.To)
	if len(to) < 8 {
		return fmt.Errorf("%w: phone number", ErrInvalid)
	}
	var body bytes.Buffer
	if err := s.body.Execute(&body, struct{ To, Text string }{to, m.Body}); err != nil {
		return fmt.Errorf("sms body template: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, &body)
	if err != nil {
		return fmt.Errorf("sms request: %w", err)
	}
	req.Header.Set("Content-Type", s.ContentType)
	if s.Header != "" {
		req.Header.Set(s.Header, s.Value)
	}
	res, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is ours, but keep errors short and alike
		}
		return fmt.Errorf("sms provider: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("%w: HTTP %d", ErrProvider, res.StatusCode)
	}
	return nil
}

// e164 keeps the digits of a number; a 10-digit US number gets +1, one
// written with a leading + keeps its country code.
func e164(phone string) string {
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, phone)
	switch {
	case strings.HasPrefix(strings.TrimSpace(phone), "+"):
		return "+" + digits
	case len(digits) == 10:
		return "+1" + digits
	case len(digits) == 11 && digits[0] == '1':
		return "+" + digits
	}
	return "+" + digits
}
