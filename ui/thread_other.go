//go:build !linux && !windows

package ui

// threadID is 0 where the thread cannot be told: do then runs every function
// fyne.Do hands it, as before.
func threadID() int { return 0 }
