package hsm

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConfigFromEnv(t *testing.T) {
	full := map[string]string{
		EnvModule: "/usr/lib/softhsm/libsofthsm2.so",
		EnvToken:  "cityid",
		EnvPIN:    "1234",
	}
	without := func(key string) map[string]string {
		m := map[string]string{}
		for k, v := range full {
			if k != key {
				m[k] = v
			}
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr error // errNone: any error; nil: success
	}{
		{"all set", full, Config{Path: "/usr/lib/softhsm/libsofthsm2.so", TokenLabel: "cityid", PIN: "1234"}, nil},
		{"nothing set", map[string]string{}, Config{}, ErrNotConfigured},
		{"no module", without(EnvModule), Config{}, ErrNotConfigured},
		{"no token", without(EnvToken), Config{}, errAny},
		{"no PIN", without(EnvPIN), Config{}, errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ConfigFromEnv(func(k string) string { return tt.env[k] })
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("ConfigFromEnv() = %v, want no error", err)
			case tt.wantErr == errAny && err == nil, tt.wantErr != nil && tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
				t.Fatalf("ConfigFromEnv() error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ConfigFromEnv() (-want +got):\n%s", diff)
			}
		})
	}
}

// errAny marks a test case that wants some error, whichever.
var errAny = errors.New("any error")
