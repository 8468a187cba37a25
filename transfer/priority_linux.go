package transfer

import (
	"os"
	"runtime"
	"syscall"
)

// backgroundNice is the niceness of a background walk's thread: the kernel
// then gives a busy window's drawing threads about ten times its share.
const backgroundNice = 10

// lowerPriority moves the calling goroutine to a thread of its own and makes
// that thread nicer. It never unlocks: when the goroutine ends, its thread
// ends with it, so no other goroutine ever runs at the lowered priority. The
// process's main thread cannot end (Go parks it instead), so a goroutine
// that finds itself there stays at normal priority; in the window the main
// thread belongs to the GUI's loop anyway.
func lowerPriority() {
	runtime.LockOSThread()
	tid := syscall.Gettid()
	if tid == os.Getpid() {
		runtime.UnlockOSThread()
		return
	}
	// On Linux a thread's priority is set by its id; an error (a sandbox
	// forbidding it) only leaves the walk at normal priority.
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, backgroundNice)
}
