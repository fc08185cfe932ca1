package config

import "testing"

func TestDefaultValid(t *testing.T) {
	s := Default()
	if err := s.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v, want nil", err)
	}
	if s.Fees.Adult != 1000 || s.Program.City != "New Haven" || len(s.Documents) == 0 {
		t.Errorf("Default() = %+v", s)
	}
}
