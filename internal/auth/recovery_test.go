package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
)

// On both databases: a recovery code signs in once, even when two logins
// race with it.
func TestRecoveryCodeSingleUse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, nil)
		st := f.addStaff(t, "ana", auth.RoleSupervisor)
		full, _ := f.enroll(t, "ana")
		codes, err := f.svc.NewRecoveryCodes(ctx, full)
		if err != nil || len(codes) != auth.RecoveryCodeCount {
			t.Fatalf("NewRecoveryCodes = %d codes, %v", len(codes), err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := range 2 {
			tok, _, err := f.svc.Login(ctx, "ana", goodPassword, "10.0.0."+string(rune('1'+i)))
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, left, err := f.svc.UseRecoveryCode(ctx, tok, " "+strings.ToUpper(codes[0])+" ", "192.0.2.1"); err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
					if left != auth.RecoveryCodeCount-1 {
						t.Errorf("codes left = %d, want %d", left, auth.RecoveryCodeCount-1)
					}
				} else if !errors.Is(err, auth.ErrBadCode) {
					t.Errorf("UseRecoveryCode error = %v, want ErrBadCode for the loser", err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Errorf("one code signed in %d times, want once", wins)
		}
		if left, err := db.RecoveryCodesLeft(ctx, st.ID); err != nil || left != auth.RecoveryCodeCount-1 {
			t.Errorf("stored codes left = %d, %v; want %d", left, err, auth.RecoveryCodeCount-1)
		}
	})
}
