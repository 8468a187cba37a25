package ui

import "golang.org/x/sys/windows"

// threadID is the calling OS thread, to tell the main loop from a goroutine
// that fyne.Do ran a function on after the loop ended.
func threadID() int { return int(windows.GetCurrentThreadId()) }
