//go:build linux

package cli

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

var bootstrapRE = regexp.MustCompile(`one-time password ([a-z2-9]{5}(-[a-z2-9]{5}){3})`)

// TestBootstrapPasswordOnlyToTerminal: the first administrator's one-time
// password is printed to a terminal, never to output that may be a log
// (a file, a pipe, the service manager's journal).
func TestBootstrapPasswordOnlyToTerminal(t *testing.T) {
	var out syncBuf
	printBootstrap(&out, "admin", "abcde-fghjk-mnpqr-stuvw")
	if strings.Contains(out.String(), "abcde") || !strings.Contains(out.String(), "cityid user reset admin") {
		t.Errorf("bootstrap notice to a buffer = %q; want no password and how to get one", out.String())
	}
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	printBootstrap(f, "admin", "abcde-fghjk-mnpqr-stuvw")
	f.Close()
	if b, _ := os.ReadFile(f.Name()); strings.Contains(string(b), "abcde") {
		t.Errorf("bootstrap password written to a file: %q", b)
	}

	master, tty := openPTY(t)
	printBootstrap(tty, "admin", "abcde-fghjk-mnpqr-stuvw")
	tty.Close()
	buf := make([]byte, 4096)
	n, _ := master.Read(buf)
	if !bootstrapRE.Match(buf[:n]) {
		t.Errorf("bootstrap notice on a terminal = %q; want the one-time password", buf[:n])
	}
}

// openPTY opens a pseudo-terminal pair: what is written to tty is read from master.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlock pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Skipf("pseudo-terminal number: %v", err)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pseudo-terminal: %v", err)
	}
	return master, tty
}
