//go:build unix

package ui

import (
	"syscall"
	"testing"
	"time"
)

// cpuPerOp reports the process's CPU time per operation: on a machine other
// work keeps busy, wall time per op says more about the machine than the
// code, CPU time much less.
func cpuPerOp(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() {
		b.ReportMetric(float64((cpu()-start).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	}
}
