package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// Every command and subcommand answers --help with exit status 0: what it
// does, how to call it, and its flags.
func TestHelp(t *testing.T) {
	cases := [][]string{
		{"keys", "rotate-master"}, {"keys", "wrap-master"}, {"keys", "rotate-packet"}, {"keys", "list"}, {"card", "issue"}, {"card", "print"}, {"audit", "verify"},
		{"audit", "checkpoint"}, {"user", "add"}, {"privacy", "report"}, {"loadtest", "staff"}, {"loadtest", "intake"},
	}
	for _, c := range commands() {
		cases = append(cases, []string{c.name})
	}
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Run(context.Background(), IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, append(args, "--help"))
			text := out.String() + errOut.String()
			if code != 0 || !strings.Contains(text, "Usage") || len(strings.TrimSpace(text)) < 80 {
				t.Errorf("cityid %s --help = exit %d:\n%s\nwant exit 0, a description and a usage line", strings.Join(args, " "), code, text)
			}
			if len(args) > 1 && !strings.Contains(text, "-data") {
				t.Errorf("cityid %s --help does not list --data:\n%s", strings.Join(args, " "), text)
			}
		})
	}
}
