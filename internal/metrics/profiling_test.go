package metrics

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// The profiles answer only with the metrics token when one is set, and
// never give the command line (a --db URL in it may hold a password).
func TestProfilingGuarded(t *testing.T) {
	h := Profiling("s3cret")
	for _, tc := range []struct {
		path, auth string
		want       int
	}{
		{"/debug/pprof/heap", "", http.StatusUnauthorized},
		{"/debug/pprof/heap", "Bearer wrong", http.StatusUnauthorized},
		{"/debug/pprof/heap", "Bearer s3cret", http.StatusOK},
		{"/debug/pprof/", "Bearer s3cret", http.StatusOK},
		{"/debug/pprof/cmdline", "Bearer s3cret", http.StatusNotFound},
	} {
		r := httptest.NewRequest(http.MethodGet, tc.path, nil)
		if tc.auth != "" {
			r.Header.Set("Authorization", tc.auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("GET %s with %q: %d, want %d", tc.path, tc.auth, w.Code, tc.want)
		}
	}
}
