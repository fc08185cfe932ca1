// Package notify sends appointment reminders to residents who asked for
// them. A Message carries only the appointment's time and place and the
// address to send to; never a name, a reference code or anything about the
// application, so a mail relay or SMS gateway learns no more than that
// someone has an appointment somewhere. Senders are pluggable: Log (for
// development and cities without a gateway) and SMTP.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// Channel is how a reminder travels.
type Channel string

// The channels.
const (
	Email Channel = "email"
	SMS   Channel = "sms"
)

// Message is one reminder: where to send it and the time and place of the
// visit, already in the resident's language.
type Message struct {
	Channel Channel
	To      string    // e-mail address or phone number
	When    time.Time // in the program's time zone
	Place   string    // the site's name and public address
	Subject string    // translated, e.g. "Your ID card appointment"
	Body    string    // translated text naming only When and Place
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// ErrInvalid means a message cannot be sent as given.
var ErrInvalid = errors.New("invalid message")

// Validate checks the parts every sender needs, refusing header injection.
func (m Message) Validate() error {
	switch {
	case m.Channel != Email && m.Channel != SMS:
		return fmt.Errorf("%w: channel %q", ErrInvalid, m.Channel)
	case m.To == "" || len(m.To) > 254 || strings.ContainsAny(m.To, "\r\n"):
		return fmt.Errorf("%w: recipient", ErrInvalid)
	case strings.ContainsAny(m.Subject, "\r\n"):
		return fmt.Errorf("%w: subject has a line break", ErrInvalid)
	case m.When.IsZero() || m.Place == "":
		return fmt.Errorf("%w: time and place are required", ErrInvalid)
	}
	return nil
}

// Log writes reminders to a logger instead of sending them: the time and
// the place only, never the recipient.
type Log struct{ Logger *slog.Logger }

// Send logs m.
func (l Log) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	l.Logger.LogAttrs(ctx, slog.LevelInfo, "reminder", slog.String("channel", string(m.Channel)),
		slog.Time("when", m.When), slog.String("place", m.Place))
	return nil
}

// SMTP sends e-mail reminders through a relay. SMS goes through an
// e-mail-to-SMS gateway when SMSDomain is set ("<digits>@SMSDomain").
type SMTP struct {
	Addr      string    // host:port of the relay
	From      string    // sender address
	Auth      smtp.Auth // nil: no authentication
	SMSDomain string
	// send is smtp.SendMail; tests replace it.
	send func(addr string, a smtp.Auth, from string, to []string, msg []byte) error
}

// NewSMTP returns an SMTP sender.
func NewSMTP(addr, from string, auth smtp.Auth, smsDomain string) (*SMTP, error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("smtp relay %q: %w", addr, err)
	}
	if a, err := mail.ParseAddress(from); err != nil || a.Address != from {
		return nil, fmt.Errorf("smtp sender %q: want a bare address", from)
	}
	return &SMTP{Addr: addr, From: from, Auth: auth, SMSDomain: smsDomain, send: smtp.SendMail}, nil
}

// Send sends m.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	to := m.To
	switch m.Channel {
	case Email:
		if a, err := mail.ParseAddress(to); err != nil || a.Address != to {
			return fmt.Errorf("%w: recipient address", ErrInvalid)
		}
	case SMS:
		if s.SMSDomain == "" {
			return fmt.Errorf("%w: no SMS gateway configured", ErrInvalid)
		}
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, to)
		if len(digits) < 7 {
			return fmt.Errorf("%w: phone number", ErrInvalid)
		}
		to = digits + "@" + s.SMSDomain
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.send(s.Addr, s.Auth, s.From, []string{to}, Compose(s.From, to, m)); err != nil {
		return scrub(err, to, m.To)
	}
	return nil
}

// ErrRefused is a reminder the relay refused (an SMTP error reply).
var ErrRefused = errors.New("reminder refused by the mail relay")

// scrub keeps the recipient out of a send error, which callers log: a
// relay's refusal repeats the address ("550 5.1.1 <ana@example.org>:
// Recipient address rejected"). An SMTP reply keeps only its code; any
// other error that names an address is cut to its type.
func scrub(err error, addrs ...string) error {
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return fmt.Errorf("send reminder: SMTP reply %d: %w", tp.Code, ErrRefused)
	}
	msg := err.Error()
	for _, a := range addrs {
		if a != "" && strings.Contains(msg, a) {
			return fmt.Errorf("send reminder: %T (message withheld: it names the recipient)", err)
		}
	}
	if strings.Contains(msg, "@") {
		return fmt.Errorf("send reminder: %T (message withheld: it may name the recipient)", err)
	}
	return fmt.Errorf("send reminder: %w", err)
}

// Compose builds the RFC 5322 message: UTF-8 plain text, nothing else.
func Compose(from, to string, m Message) []byte {
	var b strings.Builder
	b.WriteString("From: " + from + "\r\n")
	b.WriteString("To: " + to + "\r\n")
	b.WriteString("Subject: " + mimeWord(m.Subject) + "\r\n")
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(m.Body, "\n", "\r\n"))
	b.WriteString("\r\n")
	return []byte(b.String())
}

func mimeWord(s string) string {
	for _, r := range s {
		if r > 127 {
			return "=?utf-8?q?" + qEncode(s) + "?="
		}
	}
	return s
}

func qEncode(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case c == ' ':
			b.WriteByte('_')
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "=%02X", c)
		}
	}
	return b.String()
}
