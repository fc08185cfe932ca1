package cli

import (
	"context"
	"errors"
)

// Placeholders while the commands are built in parallel; each is replaced by its own file.
var errNotBuilt = errors.New("not built yet")

func cmdServe(ctx context.Context, stdio IO, args []string) error   { return errNotBuilt }
func cmdUser(ctx context.Context, stdio IO, args []string) error    { return errNotBuilt }
func cmdMigrate(ctx context.Context, stdio IO, args []string) error { return errNotBuilt }
func cmdAudit(ctx context.Context, stdio IO, args []string) error   { return errNotBuilt }
func cmdDemo(ctx context.Context, stdio IO, args []string) error    { return errNotBuilt }
func extraCommands() []command                                      { return nil }
