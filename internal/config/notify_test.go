package config

import (
	"errors"
	"slices"
	"testing"
)

// TestNotifySettings: an SMS provider needs https, a body template and the
// name of the environment variable holding its credential.
func TestNotifySettings(t *testing.T) {
	body := `{"to":{{json .To}},"text":{{json .Text}}}`
	tests := []struct {
		name string
		n    Notify
		want []string // problem keys
	}{
		{"none", Notify{}, nil},
		{"complete", Notify{SMSURL: "https://api.sms.example/v1/messages", SMSAuthHeader: "Authorization", SMSAuthEnv: "CITYID_SMS_AUTH", SMSBody: body}, nil},
		{"local relay", Notify{SMSURL: "http://127.0.0.1:8025/send", SMSBody: body}, nil},
		{"plain http", Notify{SMSURL: "http://api.sms.example/v1/messages", SMSBody: body}, []string{"notify.sms_url"}},
		{"no body", Notify{SMSURL: "https://api.sms.example/v1/messages"}, []string{"notify.sms_body"}},
		{"secret in the file", Notify{SMSURL: "https://api.sms.example/v1/messages", SMSAuthHeader: "Authorization", SMSBody: body}, []string{"notify.sms_auth_env"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Default()
			s.Notify = tc.n
			var got []string
			var e *Error
			if err := s.Validate(); errors.As(err, &e) {
				for _, p := range e.Problems {
					got = append(got, p.Key)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems = %v, want %v", got, tc.want)
			}
		})
	}
}
