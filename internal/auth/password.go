package auth

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters of new password hashes. Hashes
// made with other parameters still verify (the parameters travel in the
// PHC string) and are upgraded at the next successful login.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams are the production costs: 48 MiB, 2 passes, 1 lane, about
// 60 ms a hash on a 2-core Xeon server (BenchmarkHash measures it), more
// than twice the OWASP minimum for argon2id (19 MiB, 2 passes, 1 lane). One
// lane, because logins at a busy site arrive together and each should use
// one core, not all of them.
func DefaultParams() Params {
	return Params{Memory: 48 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// TestParams are cheap costs for tests only: never use them in production.
func TestParams() Params {
	return Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// Bounds on parameters read from a stored hash, so a damaged or hostile
// row cannot make verification allocate gigabytes or spin for minutes.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxTime      = 64
	minSaltLen   = 8
	maxSaltLen   = 64
	minKeyLen    = 16
	maxKeyLen    = 64
	maxPHCLen    = 512
)

// errBadHash marks a stored password hash that cannot be parsed.
var errBadHash = errors.New("malformed argon2id hash")

// hashPassword returns the PHC string of password under p with a fresh salt.
func hashPassword(p Params, password string, rand io.Reader) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return formatPHC(p, salt, key), nil
}

func formatPHC(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// phc is a parsed argon2id PHC string.
type phc struct {
	params    Params
	salt, key []byte
}

// parsePHC parses "$argon2id$v=19$m=…,t=…,p=…$salt$hash" with unpadded
// standard base64, as the reference implementation writes it.
func parsePHC(s string) (phc, error) {
	if len(s) > maxPHCLen {
		return phc{}, fmt.Errorf("%w: too long", errBadHash)
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return phc{}, fmt.Errorf("%w: want $argon2id$v=…$m=…,t=…,p=…$salt$hash", errBadHash)
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return phc{}, fmt.Errorf("%w: unsupported version %q", errBadHash, parts[2])
	}
	var h phc
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return phc{}, fmt.Errorf("%w: want m=…,t=…,p=…", errBadHash)
	}
	for i, name := range []string{"m", "t", "p"} {
		k, v, ok := strings.Cut(fields[i], "=")
		if !ok || k != name {
			return phc{}, fmt.Errorf("%w: want %s=… in position %d", errBadHash, name, i+1)
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n == 0 || (v[0] == '0') {
			return phc{}, fmt.Errorf("%w: bad %s", errBadHash, name)
		}
		switch name {
		case "m":
			h.params.Memory = uint32(n)
		case "t":
			h.params.Time = uint32(n)
		case "p":
			if n > 255 {
				return phc{}, fmt.Errorf("%w: p out of range", errBadHash)
			}
			h.params.Threads = uint8(n)
		}
	}
	if h.params.Memory > maxMemoryKiB || h.params.Time > maxTime || h.params.Memory < 8*uint32(h.params.Threads) {
		return phc{}, fmt.Errorf("%w: parameters out of range", errBadHash)
	}
	var err error
	if h.salt, err = base64.RawStdEncoding.Strict().DecodeString(parts[4]); err != nil ||
		len(h.salt) < minSaltLen || len(h.salt) > maxSaltLen {
		return phc{}, fmt.Errorf("%w: bad salt", errBadHash)
	}
	if h.key, err = base64.RawStdEncoding.Strict().DecodeString(parts[5]); err != nil ||
		len(h.key) < minKeyLen || len(h.key) > maxKeyLen {
		return phc{}, fmt.Errorf("%w: bad hash", errBadHash)
	}
	h.params.SaltLen, h.params.KeyLen = uint32(len(h.salt)), uint32(len(h.key))
	return h, nil
}

// verifyPassword reports whether password matches the stored PHC string,
// and whether the hash should be recomputed with the current parameters.
func verifyPassword(stored, password string, current Params) (ok, rehash bool, err error) {
	h, err := parsePHC(stored)
	if err != nil {
		return false, false, err
	}
	p := h.params
	key := argon2.IDKey([]byte(password), h.salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	if subtle.ConstantTimeCompare(key, h.key) != 1 {
		return false, false, nil
	}
	return true, p != current, nil
}
