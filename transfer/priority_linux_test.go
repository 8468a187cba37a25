package transfer

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// threadNices is the niceness of each of this process's threads.
func threadNices(t *testing.T) map[int]int {
	t.Helper()
	dirs, err := filepath.Glob("/proc/self/task/*")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]int{}
	for _, d := range dirs {
		data, err := os.ReadFile(filepath.Join(d, "stat"))
		if err != nil {
			continue // the thread ended meanwhile
		}
		// Fields after the command (which may hold spaces) start after ")";
		// nice is the 19th field of the line, the 17th after it.
		f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
		tid, _ := strconv.Atoi(filepath.Base(d))
		out[tid], _ = strconv.Atoi(f[16])
	}
	return out
}

// A window's folder walk runs on a nicer thread of its own, and no other
// goroutine inherits that priority once the walk is over.
func TestBackgroundWalkPriority(t *testing.T) {
	src := t.TempDir()
	for i := range 2000 { // more than the uploads in flight, so the walk waits for room
		if err := os.WriteFile(filepath.Join(src, fmt.Sprintf("f%04d", i)), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	nicer := func() int {
		n := 0
		for _, v := range threadNices(t) {
			if v == backgroundNice {
				n++
			}
		}
		return n
	}
	if n := nicer(); n != 0 {
		t.Fatalf("%d threads are nicer before any walk", n)
	}
	tg := Target{Endpoint: silentServer(t), Bucket: "b", Credentials: staticCreds{"id", "secret", ""}}
	// WalkAhead holds the walk part way, its goroutine (and thread) waiting.
	m, err := NewManager(Config{Target: tg, Options: DefaultOptions(), StateDir: t.TempDir(), WalkAhead: 1, BackgroundWalks: true})
	if err != nil {
		t.Fatal(err)
	}
	m.Add([]string{src}, "")
	deadline := time.Now().Add(10 * time.Second)
	for nicer() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("no thread of niceness %d while the walk runs: %v", backgroundNice, threadNices(t))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	for nicer() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("a nicer thread outlived the walk: %v", threadNices(t))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestMain keeps the main thread for the main goroutine, as the window's GUI
// loop does, so no test goroutine (a walk among them) runs on it.
func TestMain(m *testing.M) {
	runtime.LockOSThread()
	os.Exit(m.Run())
}
