package ui

import (
	"runtime"
	"testing"

	"fyne.io/fyne/v2/test"
)

// Once the driver has stopped, fyne.Do runs a function at once on the calling
// goroutine; the window must drop such calls rather than touch widgets (and
// GLFW) from there, which could hang the quitting process.
func TestDoDropsCallsOffTheMainLoop(t *testing.T) {
	if threadID() == 0 {
		t.Skip("threads cannot be told apart on this platform")
	}
	test.NewTempApp(t) // its fyne.Do runs functions inline, like a stopped driver
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ran := 0
	w := &Window{uiThread: threadID()}
	w.do(func() { ran++ }) // on the main loop's thread: runs
	w.uiThread++           // the loop lives elsewhere and has ended
	w.do(func() { ran += 10 })
	if ran != 1 {
		t.Fatalf("ran = %d, want only the call on the main loop's thread (1)", ran)
	}
}
