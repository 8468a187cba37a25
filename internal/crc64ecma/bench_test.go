package crc64ecma

import (
	"fmt"
	"hash/crc64"
	"testing"

	"github.com/ossdrop/ossdrop/internal/testkit"
)

var benchSizes = []int{64, 1 << 10, 16 << 10, 1 << 20}

// BenchmarkUpdate reports the throughput of Update in GB/s of wall time and
// in GB per CPU-second (the process's CPU time, which a busy shared machine
// inflates less than wall time); BenchmarkStdlib gives hash/crc64's.
func BenchmarkUpdate(b *testing.B) {
	benchCRC(b, func(p []byte) uint64 { return Update(0, p) })
}

func BenchmarkStdlib(b *testing.B) {
	benchCRC(b, func(p []byte) uint64 { return crc64.Update(0, refTable, p) })
}

func BenchmarkCombine(b *testing.B) {
	for b.Loop() {
		Combine(0x1234, 0x5678, 8<<20)
	}
}

var sink uint64

func benchCRC(b *testing.B, f func([]byte) uint64) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			p := randBytes(13, n)
			b.SetBytes(int64(n))
			cpu0 := testkit.CPUTime()
			for b.Loop() {
				sink = f(p)
			}
			bytes := float64(n) * float64(b.N)
			b.ReportMetric(bytes/b.Elapsed().Seconds()/1e9, "GB/s")
			if cpu := (testkit.CPUTime() - cpu0).Seconds(); cpu > 0 {
				b.ReportMetric(bytes/cpu/1e9, "GB/cpu-s")
			}
		})
	}
}
