package cli

import "context"

func cmdUser(ctx context.Context, stdio IO, args []string) error {
	return cmdUserImpl(ctx, stdio, args)
}
func extraCommands() []command { return nil }
