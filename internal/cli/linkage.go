package cli

import "context"

func cmdLinkage(ctx context.Context, stdio IO, args []string) error { return errNotBuilt }
