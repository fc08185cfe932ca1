package notify

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/smtp"
	"strings"
	"testing"
	"time"
)

var when = time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)

func TestLogSenderShowsOnlyTimeAndPlace(t *testing.T) {
	var buf bytes.Buffer
	l := Log{Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	err := l.Send(context.Background(), Message{Channel: Email, To: "ana@example.org", When: when, Place: "City Hall, 165 Church St", Subject: "Cita", Body: "x"})
	if err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "ana@") || !strings.Contains(out, "City Hall") {
		t.Errorf("log = %q; want the place and not the recipient", out)
	}
}

func TestSMTPSend(t *testing.T) {
	s, err := NewSMTP("127.0.0.1:25", "citas@example.gov", nil, "sms.example.net")
	if err != nil {
		t.Fatal(err)
	}
	var gotTo []string
	var gotMsg []byte
	s.send = func(addr string, a smtp.Auth, from string, to []string, msg []byte) error {
		gotTo, gotMsg = to, msg
		return nil
	}
	tests := []struct {
		name   string
		m      Message
		wantTo string
		err    error
	}{
		{"email", Message{Channel: Email, To: "ana@example.org", When: when, Place: "Ayuntamiento", Subject: "Su cita del carné", Body: "Martes 10 de marzo, 9:30, Ayuntamiento"}, "ana@example.org", nil},
		{"sms gateway", Message{Channel: SMS, To: "(203) 555-0100", When: when, Place: "City Hall", Subject: "Appointment", Body: "Tue 9:30 City Hall"}, "2035550100@sms.example.net", nil},
		{"header injection", Message{Channel: Email, To: "a@b.org\r\nBcc: x@y.org", When: when, Place: "x", Subject: "s"}, "", ErrInvalid},
		{"no place", Message{Channel: Email, To: "a@b.org", When: when}, "", ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gotTo = nil
			err := s.Send(context.Background(), tc.m)
			if !errors.Is(err, tc.err) {
				t.Fatalf("Send = %v, want %v", err, tc.err)
			}
			if tc.err == nil && (len(gotTo) != 1 || gotTo[0] != tc.wantTo) {
				t.Errorf("Send to %v, want %s", gotTo, tc.wantTo)
			}
		})
	}
	if !bytes.Contains(gotMsg, []byte("Subject: Appointment\r\n")) {
		t.Errorf("message = %q", gotMsg)
	}
}
