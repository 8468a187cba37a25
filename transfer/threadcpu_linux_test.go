package transfer

import (
	"syscall"
	"time"
)

// threadCPU is the CPU time the calling OS thread has used; with the
// goroutine locked to its thread, a difference is the goroutine's own work,
// whatever else the machine runs.
func threadCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
