//go:build !linux || !cgo

package ui

// keepCHeap has nothing to tune where the C library is not glibc's.
func keepCHeap() {}
