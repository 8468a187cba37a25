package transfer

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ossdrop/ossdrop/ossemu"
)

func TestSurveyCountsWhatAddQueues(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "photos")
	writeFile(t, dir, "a.jpg", make([]byte, 100))
	writeFile(t, filepath.Join(dir, "sub"), "b.jpg", make([]byte, 200))
	writeFile(t, dir, ".DS_Store", make([]byte, 10))
	writeFile(t, filepath.Join(dir, ".git"), "config", make([]byte, 20))
	s, err := Survey(context.Background(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if s.Files != 4 || s.Bytes != 330 || s.HiddenFiles != 2 || s.HiddenBytes != 30 || s.Problems != 0 {
		t.Fatalf("survey %+v", s)
	}
	// A hidden folder given directly is what the user chose: not "hidden" inside.
	s, _ = Survey(context.Background(), []string{filepath.Join(dir, ".git")})
	if s.Files != 1 || s.HiddenFiles != 0 {
		t.Fatalf("survey of a hidden folder itself %+v", s)
	}
	if err := os.Symlink(dir, filepath.Join(dir, "sub", "loop")); err != nil {
		t.Fatal(err)
	}
	if s, _ = Survey(context.Background(), []string{dir}); s.Problems != 1 {
		t.Fatalf("a symlink loop is not counted as a problem: %+v", s)
	}
	os.Remove(filepath.Join(dir, "sub", "loop"))

	srv := newServer(t, ossemu.Options{})
	m := newManager(t, srv, "", nil)
	m.AddSkippingHidden([]string{dir}, "up")
	waitIdle(t, m)
	var keys []string
	for _, ts := range m.Snapshot(nil) {
		keys = append(keys, ts.Key)
		if ts.State != Done {
			t.Errorf("%s: %s %v", ts.Key, ts.State, ts.Err)
		}
	}
	slices.Sort(keys)
	if want := []string{"up/photos/a.jpg", "up/photos/sub/b.jpg"}; !slices.Equal(keys, want) {
		t.Fatalf("queued %v, want %v", keys, want)
	}
}
