//go:build linux && cgo

package ui

/*
#include <malloc.h>

// keep_freed_heap asks glibc to keep up to trim bytes of freed memory at the
// top of the C heap, and to serve blocks up to mmap bytes from the heap, instead
// of handing them back to the kernel after every free. Other C libraries lack
// these settings and keep their own policy.
static void keep_freed_heap(int trim, int mmap) {
#if defined(M_TRIM_THRESHOLD) && defined(M_MMAP_THRESHOLD)
	mallopt(M_MMAP_THRESHOLD, mmap);
	mallopt(M_TRIM_THRESHOLD, trim);
#endif
}
*/
import "C"

// keepCHeap stops the C heap from shrinking after every frame. Mesa's
// software renderer allocates the command bins of each frame in 64 KiB blocks
// (about 2 MiB for a window of rows) and frees them when the frame is shown;
// whenever those blocks ended up at the top of the heap, glibc gave them back
// to the kernel after every frame and the next frame faulted every page in
// again: ten times the page faults and more than twice the UI thread's CPU
// while a large drop was listed. Up to 32 MiB of freed memory now stays, which
// a GPU driver, allocating little per frame, never reaches.
func keepCHeap() { C.keep_freed_heap(32<<20, 16<<20) }
