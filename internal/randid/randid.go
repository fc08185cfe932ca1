// Package randid makes record ids: a short prefix naming the kind of record
// and 80 random bits, so an id says nothing about how many records exist or
// when one was made.
package randid

import (
	"encoding/base32"
	"fmt"
	"io"
)

var encoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// New returns prefix + "_" + 16 lower-case base32 characters read from random.
func New(random io.Reader, prefix string) (string, error) {
	var b [10]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return "", fmt.Errorf("new %s id: %w", prefix, err)
	}
	return prefix + "_" + encoding.EncodeToString(b[:]), nil
}
