//go:build unix

package testkit

import (
	"runtime"
	"syscall"
	"time"
)

// CPUTime returns the process's user plus system CPU time: a cost that does
// not depend on how busy a shared machine is, unlike wall time.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// PeakRSS returns the process's peak resident set size in bytes, or 0 where
// the system does not say.
func PeakRSS() uint64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return maxrssBytes(int64(ru.Maxrss))
}

// maxrssBytes converts ru_maxrss, which macOS reports in bytes and the other
// systems in KiB.
func maxrssBytes(v int64) uint64 {
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return uint64(v)
	}
	return uint64(v) * 1024
}
