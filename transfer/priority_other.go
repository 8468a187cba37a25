//go:build !linux

package transfer

// lowerPriority does nothing where a priority cannot be set per thread.
func lowerPriority() {}
