package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/masterkey"
)

// The command's surface: flags in, one rotation, what to back up and
// delete, the JSON status last; the signing keys still unlock and list
// afterwards. The rotation itself is tested in package masterkey.
func TestRotateMasterCommand(t *testing.T) {
	dir, _ := residentsDir(t, time.Now(), 1, 2)
	out, err := runCmd(t, cmdKeys, "rotate-master", "--data", dir, "--batch", "2")
	if err != nil {
		t.Fatalf("keys rotate-master: %v\n%s", err, out)
	}
	if !strings.Contains(out, "master key rotated to") || !strings.Contains(out, "master.key.old") {
		t.Errorf("keys rotate-master printed %q, want the new key id and the old key file to delete", out)
	}
	var st masterkey.Status
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &st); err != nil || !st.Finished || st.Rewrapped != 3 {
		t.Errorf("last line %q = %+v, %v; want a finished rotation of 3 data keys", lines[len(lines)-1], st, err)
	}
	// Rotating a signing key unlocks the keyring with the new master key.
	if out, err := runCmd(t, cmdKeys, "rotate", "--data", dir); err != nil {
		t.Errorf("keys rotate after master-key rotation: %v (%s)", err, out)
	}
	if out, err := runCmd(t, cmdKeys, "list", "--data", dir); err != nil || strings.Count(out, "ES256") != 2 {
		t.Errorf("keys list after master-key rotation: %v\n%s\nwant two ES256 keys", err, out)
	}
}
