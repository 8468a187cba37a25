//go:build !unix

package testkit

import "time"

// CPUTime returns 0: this system's process CPU time is not read here.
func CPUTime() time.Duration { return 0 }

// PeakRSS returns 0: this system's peak resident set size is not read here.
func PeakRSS() uint64 { return 0 }
