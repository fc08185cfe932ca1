//go:build !unix

package loadtest

import "time"

// ownCPU is unknown here: the report leaves the tool's CPU out.
func ownCPU() time.Duration { return 0 }
