package cli

import (
	"context"
	"errors"
)

// Placeholders while the commands are built in parallel; each is replaced by its own file.
var errNotBuilt = errors.New("not built yet")

func cmdUser(ctx context.Context, stdio IO, args []string) error {
	return cmdUserImpl(ctx, stdio, args)
}
func extraCommands() []command { return nil }
