package crc64ecma

import (
	"fmt"
	"hash/crc64"
	"testing"
)

var benchSizes = []int{64, 1 << 10, 16 << 10, 1 << 20}

// BenchmarkUpdate reports throughput (MB/s from SetBytes, and GB/s) of Update;
// BenchmarkStdlib gives hash/crc64 on the same machine for comparison.
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
			for b.Loop() {
				sink = f(p)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}
