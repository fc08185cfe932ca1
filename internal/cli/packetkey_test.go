package cli

import (
	"strings"
	"testing"
	"time"
)

// keys rotate-packet makes a new packet key each time; the packet keys are
// rewrapped by a master-key rotation and still open after it.
func TestRotatePacketCommand(t *testing.T) {
	dir, _ := residentsDir(t, time.Now(), 0, 1)
	var ids []string
	rotate := func(step string) {
		t.Helper()
		out, err := runCmd(t, cmdKeys, "rotate-packet", "--data", dir)
		if err != nil || !strings.HasPrefix(out, "new field packet key ") {
			t.Fatalf("%s: keys rotate-packet = %q, %v", step, out, err)
		}
		ids = append(ids, strings.Fields(out)[4])
	}
	rotate("first")
	if out, err := runCmd(t, cmdKeys, "rotate-master", "--data", dir); err != nil {
		t.Fatalf("keys rotate-master: %v\n%s", err, out)
	}
	rotate("after the master-key rotation")
	if ids[0] == ids[1] {
		t.Errorf("two rotations gave the same key %s", ids[0])
	}
}
