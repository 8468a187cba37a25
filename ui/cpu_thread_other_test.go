//go:build !linux

package ui

import "time"

// threadCPU is not measured here.
func threadCPU() time.Duration { return 0 }
