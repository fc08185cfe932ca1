package config

import (
	"fmt"
	"net/url"
	"strings"
)

// ExampleValues lists the settings that still hold a shipped profile's
// example value where every program needs its own: the issuer URL is
// signed into every card's QR code, and verifiers fetch keys and status
// lists from it, so cards issued under another city's address would point
// verifiers at that city. Hosts under the reserved example domains count
// too. Each Problem says what to change.
func (s Settings) ExampleValues() []Problem {
	var out []Problem
	issuer := strings.TrimRight(s.Program.IssuerURL, "/")
	for _, name := range Profiles() {
		p, err := Profile(name)
		if err != nil {
			continue
		}
		if strings.TrimRight(p.Program.IssuerURL, "/") == issuer {
			out = append(out, Problem{Key: "program.issuer_url", Msg: fmt.Sprintf(
				"%s is the example address of the %q settings profile (%s); set it to your program's own web address, "+
					"e.g. https://id.yourcity.gov, before the first start", issuer, name, p.Program.Name)})
			return out
		}
	}
	if u, err := url.Parse(issuer); err == nil {
		h := strings.ToLower(u.Hostname())
		for _, ex := range []string{"example.org", "example.com", "example.net", "example"} {
			if h == ex || strings.HasSuffix(h, "."+ex) {
				out = append(out, Problem{Key: "program.issuer_url", Msg: fmt.Sprintf(
					"%s is an example address; set it to your program's own web address before the first start", issuer)})
			}
		}
	}
	return out
}
