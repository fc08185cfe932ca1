package station

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/randid"
)

// Clerk is a station-local account: a clerk signs in to take applications.
// Its id goes into each packet; the city maps it to the station, not to a
// staff member of its own.
type Clerk struct {
	ID   string `json:"id"`
	Name string `json:"name"` // a login name, e.g. "ana"
	Hash string `json:"hash"` // argon2id PHC string
}

// ErrLogin is a wrong name or password (which one is not said).
var ErrLogin = errors.New("wrong name or password")

// MinPassword is the shortest clerk password accepted (NIST SP 800-63B: 8
// at least; the station's laptop may be left in a church hall).
const MinPassword = 10

func (s *Station) clerksLocked() ([]Clerk, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, clerksFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var cs []Clerk
	if err := json.Unmarshal(b, &cs); err != nil {
		return nil, fmt.Errorf("%s: %w", clerksFile, err)
	}
	return cs, nil
}

// AddClerk adds a clerk account (or sets a new password for an existing name).
func (s *Station) AddClerk(name, password string, params auth.Params) (Clerk, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" || len(name) > 64 {
		return Clerk{}, errors.New("clerk name: 1–64 characters")
	}
	if len([]rune(password)) < MinPassword {
		return Clerk{}, fmt.Errorf("password: at least %d characters", MinPassword)
	}
	hash, err := auth.HashPassword(params, password, s.rand)
	if err != nil {
		return Clerk{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, err := s.clerksLocked()
	if err != nil {
		return Clerk{}, err
	}
	for i := range cs {
		if cs[i].Name == name {
			cs[i].Hash = hash
			return cs[i], s.saveClerksLocked(cs)
		}
	}
	id, err := randid.New(s.rand, "clk")
	if err != nil {
		return Clerk{}, err
	}
	c := Clerk{ID: id, Name: name, Hash: hash}
	return c, s.saveClerksLocked(append(cs, c))
}

func (s *Station) saveClerksLocked(cs []Clerk) error {
	b, err := json.MarshalIndent(cs, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(s.dir, clerksFile), b)
}

// Login checks a clerk's name and password.
func (s *Station) Login(name, password string) (Clerk, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	s.mu.Lock()
	cs, err := s.clerksLocked()
	s.mu.Unlock()
	if err != nil {
		return Clerk{}, err
	}
	for _, c := range cs {
		if c.Name == name {
			ok, err := auth.CheckPassword(c.Hash, password)
			if err != nil {
				return Clerk{}, err
			}
			if ok {
				return c, nil
			}
			return Clerk{}, ErrLogin
		}
	}
	// Spend the same work on an unknown name, so timing does not say which.
	_, _ = auth.CheckPassword(dummyHash, password)
	return Clerk{}, ErrLogin
}

// dummyHash is a valid argon2id hash at the default cost (of a random
// password), checked for unknown names.
const dummyHash = "$argon2id$v=19$m=49152,t=2,p=1$c3RhdGlvbmR1bW15c2FsdA$0hTtcwKvn2AeNkyN/7yKUCGXyFm8SUFhqj1bJY3Ulyg"
