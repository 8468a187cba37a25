//go:build !unix

package ossemu

// lockDir is a no-op where flock is unavailable; running two servers on one
// directory there is the user's responsibility.
func lockDir(string) (func(), error) { return func() {}, nil }
