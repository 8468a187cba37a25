//go:build unix

package ossemu

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time, to report benchmark cost
// independently of how busy the machine is.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
