package demo

import "crypto/rand"

// randomPassword returns a one-time password for a demo account; the holder
// must change it (and enrol TOTP) at first login like any other account.
func randomPassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	b := make([]byte, 20)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
