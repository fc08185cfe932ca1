// Package errs holds the three refusals every cityid domain shares: a
// record that does not exist (or that the caller may not know exists), an
// actor whose role or site does not allow the action, and a change that
// clashes with the record's current state or with another change.
//
// Domain packages wrap these with context (fmt.Errorf("card %s: %w", id,
// errs.ErrNotFound)) and callers check them with errors.Is. The HTTP layer
// (package httplayer) turns each into one status and message, so a new
// domain needs no new case in any handler. The package knows nothing of
// HTTP: domain packages import it freely.
package errs

import (
	"errors"
	"fmt"
)

// The shared sentinels; check them with errors.Is.
var (
	// ErrNotFound: no such record, or one the caller may not learn exists.
	ErrNotFound = errors.New("not found")
	// ErrForbidden: the actor's role, site or stated purpose does not allow it.
	ErrForbidden = errors.New("forbidden")
	// ErrConflict: the record's state, a unique key or a concurrent change
	// refuses it; retrying the same request will not help.
	ErrConflict = errors.New("conflict")
)

// ErrWriteConflict is the storage's kind of ErrConflict: a unique key
// already taken or a row changed by another writer since it was read.
// Domain packages check it (never bare ErrConflict) on what their storage
// returns, so a clash worth drawing again or retrying is never confused
// with a domain refusal (a record in the wrong state) that also wraps
// ErrConflict. Package store's ErrConflict is this value.
var ErrWriteConflict = fmt.Errorf("write conflict: %w", ErrConflict)
