//go:build unix

package testkit

import (
	"os"
	"runtime"
	"strconv"
	"strings"
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
// the system does not say. On Linux it is VmHWM: getrusage's ru_maxrss
// survives execve, so a child started by a big parent would report the
// parent's peak.
func PeakRSS() uint64 {
	if runtime.GOOS == "linux" {
		return vmHWM()
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return maxrssBytes(int64(ru.Maxrss))
}

// vmHWM reads the peak resident set size from /proc/self/status.
func vmHWM() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kib * 1024
		}
	}
	return 0
}

// maxrssBytes converts ru_maxrss, which macOS reports in bytes and the other
// systems in KiB.
func maxrssBytes(v int64) uint64 {
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return uint64(v)
	}
	return uint64(v) * 1024
}
