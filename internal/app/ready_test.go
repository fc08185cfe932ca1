package app_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
)

// TestReadyAfterIndex: by default a server is ready while its screening
// index loads; with ReadyAfterIndex (serve --ready-after-index) the
// readiness check refuses until the index is loaded, then answers as the
// database does.
func TestReadyAfterIndex(t *testing.T) {
	ctx := context.Background()
	opts := auth.DefaultOptions()
	opts.Argon = auth.TestParams()
	a, err := app.Open(ctx, app.Options{DataDir: filepath.Join(t.TempDir(), "data"), Create: true, Auth: &opts,
		Screening: true, ScreenLater: true})
	if err != nil {
		t.Fatalf("app.Open: %v", err)
	}
	defer a.Close()
	if err := a.Services.Ready(ctx); err != nil {
		t.Fatalf("default, index still loading: Ready = %v, want ready at once", err)
	}
	a.ReadyAfterIndex()
	if err := a.Services.Ready(ctx); !errors.Is(err, app.ErrIndexLoading) {
		t.Fatalf("--ready-after-index, index still loading: Ready = %v, want ErrIndexLoading", err)
	}
	if err := a.LoadScreening(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Services.Ready(ctx); err != nil {
		t.Fatalf("--ready-after-index, index loaded: Ready = %v, want ready", err)
	}
	a.DB.Close()
	if err := a.Services.Ready(ctx); err == nil || errors.Is(err, app.ErrIndexLoading) {
		t.Fatalf("--ready-after-index, database closed: Ready = %v, want the database's error", err)
	}
}
