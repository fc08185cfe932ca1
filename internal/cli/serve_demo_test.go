package cli

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serve --demo loads synthetic residents only into an empty database: on
// one that holds people it stops with a clear error and loads nothing.
func TestServeDemoRefusesDatabaseWithPeople(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	var out bytes.Buffer
	if code := Run(context.Background(), IO{In: strings.NewReader(""), Out: &out, Err: &out}, []string{"demo", "--data", dir, "--residents", "3"}); code != 0 {
		t.Fatalf("demo = %d: %s", code, out.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errOut bytes.Buffer
	code := Run(ctx, IO{In: strings.NewReader(""), Out: io.Discard, Err: &errOut}, []string{"serve", "--data", dir, "--addr", "127.0.0.1:0", "--demo", "--demo-residents", "2"})
	if code == 0 || ctx.Err() != nil {
		t.Fatalf("serve --demo on a database with people = exit %d (context %v), want a refusal", code, ctx.Err())
	}
	if msg := errOut.String(); !strings.Contains(msg, "already holds people") || !strings.Contains(msg, "start without --demo") {
		t.Errorf("refusal does not say what to do: %q", msg)
	}
}
