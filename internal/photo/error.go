package photo

import (
	"errors"
	"fmt"
)

// Sentinels for errors.Is; every error Normalize returns for bad input is an
// *Error wrapping one of them.
var (
	ErrNotImage      = errors.New("not an image")
	ErrTooSmall      = errors.New("image too small")
	ErrTooLarge      = errors.New("upload too large")
	ErrTooManyPixels = errors.New("image has too many pixels")
	ErrCorrupt       = errors.New("image damaged or incomplete")
)

// Message keys, translated by the i18n catalogs (catalog/*/photo.json).
const (
	KeyNotImage      = "photo.not_image"
	KeyTooSmall      = "photo.too_small"
	KeyTooLarge      = "photo.too_large"
	KeyTooManyPixels = "photo.too_many_pixels"
	KeyCorrupt       = "photo.corrupt"
)

// Error is a rejected photo: Key is the message to show the clerk or
// resident, Args its placeholders as name/value pairs (for i18n.Bundle.T),
// and Error() an English detail for logs (sizes and formats, never content).
type Error struct {
	Key    string
	Args   []any
	err    error
	detail string
}

// Error describes the problem for the log; pages show the message key.
func (e *Error) Error() string { return "photo: " + e.detail }

// Unwrap returns the sentinel, so errors.Is(err, ErrTooSmall) works.
func (e *Error) Unwrap() error { return e.err }

func newError(sentinel error, key, detail string, args ...any) *Error {
	return &Error{Key: key, Args: args, err: sentinel, detail: detail}
}

func notImage(detail string) error { return newError(ErrNotImage, KeyNotImage, detail) }

func corrupt(format string, err error) error {
	return newError(ErrCorrupt, KeyCorrupt, fmt.Sprintf("%s: %v", format, err))
}
