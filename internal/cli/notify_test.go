package cli

import (
	"log/slog"
	"testing"

	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/notify"
)

// TestReminderSender: serve's sender delivers exactly the channels that are
// configured, so the resident site promises no more.
func TestReminderSender(t *testing.T) {
	t.Setenv("CITYID_TEST_SMS_AUTH", "Bearer x")
	sms := config.Notify{SMSURL: "https://api.sms.example/v1/messages", SMSAuthHeader: "Authorization", SMSAuthEnv: "CITYID_TEST_SMS_AUTH", SMSBody: `{"to":{{json .To}}}`}
	tests := []struct {
		name                string
		smtp, smsDomain     string
		n                   config.Notify
		email, text, failed bool
	}{
		{name: "nothing configured: the log, no channel"},
		{name: "relay", smtp: "127.0.0.1:25", email: true},
		{name: "relay with gateway", smtp: "127.0.0.1:25", smsDomain: "sms.example.net", email: true, text: true},
		{name: "provider", n: sms, text: true},
		{name: "relay and provider", smtp: "127.0.0.1:25", n: sms, email: true, text: true},
		{name: "provider without its secret", n: config.Notify{SMSURL: sms.SMSURL, SMSAuthHeader: "Authorization", SMSAuthEnv: "CITYID_TEST_UNSET", SMSBody: sms.SMSBody}, failed: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := reminderSender(tc.smtp, "idcard@city.example", tc.smsDomain, tc.n, slog.New(slog.DiscardHandler))
			if (err != nil) != tc.failed {
				t.Fatalf("reminderSender = %v, want failure %v", err, tc.failed)
			}
			if err != nil {
				return
			}
			if notify.Can(s, notify.Email) != tc.email || notify.Can(s, notify.SMS) != tc.text {
				t.Errorf("email %v, sms %v; want %v, %v", notify.Can(s, notify.Email), notify.Can(s, notify.SMS), tc.email, tc.text)
			}
		})
	}
}
