package app

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// shortDir is a private directory with a short path: unix socket paths are
// limited to about 100 bytes.
func shortDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "od")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return filepath.Join(d, "rt")
}

func TestSecondLaunchHandsItsFilesToTheFirst(t *testing.T) {
	dir := shortDir(t)
	first, handed, err := SingleInstance(dir, nil)
	if err != nil || handed || first == nil {
		t.Fatalf("first launch: %v %v %v", first, handed, err)
	}
	defer first.Close()
	if runtime.GOOS != "windows" {
		if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
			t.Fatalf("runtime dir %v %v", st.Mode(), err)
		}
	}
	files := []string{"/tmp/a b.txt", "/tmp/c.iso"}
	second, handed, err := SingleInstance(dir, files)
	if err != nil || !handed || second != nil {
		t.Fatalf("second launch: %v %v %v", second, handed, err)
	}
	select {
	case got := <-first.Incoming():
		if len(got) != 2 || got[0] != files[0] || got[1] != files[1] {
			t.Fatalf("received %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the first launch received nothing")
	}
	// With no files a later launch only raises the window.
	if _, handed, _ := SingleInstance(dir, nil); !handed {
		t.Fatal("a launch without files started a second instance")
	}
	if got := <-first.Incoming(); len(got) != 0 {
		t.Fatalf("received %q", got)
	}
	// A peer sending garbage is dropped and the instance keeps serving.
	if c, _, err := dialInstance(dir); err == nil {
		c.Write([]byte("not json\n"))
		c.Close()
	}
	if _, handed, _ := SingleInstance(dir, []string{"/x"}); !handed {
		t.Fatal("the instance stopped serving after a bad peer")
	}
	<-first.Incoming()
}
