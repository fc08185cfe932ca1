package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/cityid/cityid/internal/app"
)

// ErrNotEmpty: the database already holds people, and synthetic residents
// must never mix with real ones (nor be mistaken for them).
var ErrNotEmpty = errors.New("the database already holds people")

// CheckEmpty refuses a database that holds any person or pre-application.
func CheckEmpty(ctx context.Context, a *app.App) error {
	for _, table := range []string{"persons", "preapplications"} {
		n, err := a.DB.CountRows(ctx, table)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("demo: %d rows in %s: %w", n, table, ErrNotEmpty)
		}
	}
	return nil
}
