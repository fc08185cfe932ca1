package auth

import "io"

// HashPassword returns the argon2id PHC string of password (normalized as
// staff passwords are) under p, with a fresh salt from random: for accounts
// kept outside the city's database, such as a field station's clerks.
func HashPassword(p Params, password string, random io.Reader) (string, error) {
	return hashPassword(p, normalizePassword(password), random)
}

// CheckPassword reports whether password matches stored, a HashPassword
// result; a malformed stored hash is an error.
func CheckPassword(stored, password string) (bool, error) {
	ok, _, err := verifyPassword(stored, normalizePassword(password), DefaultParams())
	return ok, err
}
