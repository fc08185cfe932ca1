package resident

import (
	"bufio"
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/cityid/cityid/internal/notify"
)

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// refusingRelay is a real SMTP server on loopback that refuses every
// recipient the way relays do: by repeating the address in its reply.
func refusingRelay(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				fmt.Fprint(c, "220 relay.test ESMTP\r\n")
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					cmd := strings.ToUpper(strings.TrimSpace(line))
					switch {
					case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
						fmt.Fprint(c, "250 relay.test\r\n")
					case strings.HasPrefix(cmd, "MAIL"):
						fmt.Fprint(c, "250 2.1.0 Ok\r\n")
					case strings.HasPrefix(cmd, "RCPT"):
						addr := strings.TrimSpace(line[strings.Index(line, ":")+1:])
						fmt.Fprintf(c, "550 5.1.1 %s: Recipient address rejected: User unknown\r\n", addr)
					case strings.HasPrefix(cmd, "QUIT"):
						fmt.Fprint(c, "221 Bye\r\n")
						return
					default:
						fmt.Fprint(c, "250 Ok\r\n")
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// TestLogsHoldNoContactDetails is issue 10's log finding: a relay's refusal
// of a reminder put the resident's e-mail address in the log. A resident
// who asked for reminders books through the site, a real SMTP relay refuses
// the recipient, and the whole log is scanned for her address, name and
// date of birth in the usual spellings.
func TestLogsHoldNoContactDetails(t *testing.T) {
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sender, err := notify.NewSMTP(refusingRelay(t), "idcard@city.example", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, false, Options{Notify: sender, Logger: logger})
	f := applyForm("Xiomara", "Quintanilla")
	f.Set("remind", "email")
	f.Set("email", "xiomara.q@example.org")
	_, booked := e.bookAs(t, f, 0)
	if booked.status != http.StatusOK {
		t.Fatalf("book = %d", booked.status)
	}
	e.do(t, "POST", "/es/status", url.Values{"code": {"2222-3333-4444"}, "dob_day": {"7"}, "dob_month": {"5"}, "dob_year": {"1988"}})
	out := logs.String()
	if !strings.Contains(out, "reminder not sent") {
		t.Fatalf("the refused reminder was not logged at all; log:\n%s", out)
	}
	for _, pii := range []string{"xiomara", "Xiomara", "Quintanilla", "example.org", "1988-05-07", "05/07/1988", "7/5/1988", "1988"} {
		if strings.Contains(out, pii) {
			t.Errorf("the log holds %q:\n%s", pii, out)
		}
	}
}
