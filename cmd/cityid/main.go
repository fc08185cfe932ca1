// Command cityid runs a municipal ID card program: intake, review, cards,
// verification and privacy tooling, in one binary.
package main

import (
	"os"

	"github.com/cityid/cityid/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
