package cli

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ossdrop/ossdrop/internal/testkit"
)

// A person upgrades with uploads still queued by the previous release (its
// queue journal and history, testkit.PreviousRelease): this release's
// `ossdrop resume` uploads the three files still queued byte-exact, does not
// send again the two the old release finished, compacts the old journal away,
// and the history keeps the old entries beside the new ones.
func TestResumeQueueOfPreviousRelease(t *testing.T) {
	s := newTestServer(t)
	src, state := t.TempDir(), t.TempDir()
	files := testkit.PreviousRelease(t, src, state, s.URL)

	r := run(t, s, nil, "list", "--state-dir", state)
	for _, rel := range []string{"photos/2024/c.jpg", "photos/2024/d.jpg", "notes/readme.txt"} {
		if !strings.Contains(r.stdout, filepath.Join(src, rel)) {
			t.Errorf("list does not show the queued %s:\n%s", rel, r.stdout)
		}
	}
	r = run(t, s, nil, "resume", "--state-dir", state, "--quiet")
	if r.code != 0 {
		t.Fatalf("resume exited %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	for rel, data := range files {
		key := "up/" + rel
		if rel == "notes/readme.txt" {
			key = "up/readme.txt" // a single file keeps only its name under the prefix
		}
		got, err := s.ReadObject(s.Bucket(), key)
		switch finishedBefore := slices.Contains(testkit.PreviousReleaseFinished, rel); {
		case finishedBefore && err == nil:
			t.Errorf("%s: the old release had finished it, yet it was sent again", key)
		case !finishedBefore && (err != nil || !bytes.Equal(got, data)):
			t.Errorf("%s: %d bytes, %v; want the file's %d bytes", key, len(got), err, len(data))
		}
	}
	if left, _ := filepath.Glob(filepath.Join(state, "queue", "*.jsonl")); len(left) != 0 {
		t.Errorf("journals left after everything finished: %v", left)
	}
	r = run(t, s, nil, "history", "--state-dir", state, "--json")
	var keys []string
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var e struct{ Key, State string }
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("history line %q: %v", line, err)
		}
		keys = append(keys, e.Key+" "+e.State)
	}
	want := "up/photos/b.jpg done|up/photos/a.jpg done|"
	if got := strings.Join(keys, "|"); len(keys) != 5 || !strings.HasPrefix(got, want) {
		t.Errorf("history %q: want the two old entries first, then three new ones", got)
	}
}
