package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ossdrop/ossdrop/internal/testkit"
)

// A person upgrading with uploads still queued by the previous release (its
// journal and history, testkit.PreviousRelease) launches the new window with
// no flags: it offers to resume, "Resume all" sends the three queued files
// byte-exact, the two the old release finished are not sent again, and the
// old history entries stay.
func TestRealResumeQueueOfPreviousRelease(t *testing.T) {
	e := setupWindow(t)
	files := testkit.PreviousRelease(t, t.TempDir(), e.stateDir(), e.srv.URL)

	// The environment carries the server's keys, as the old release's
	// uploads (no profile) were sent with.
	a := e.launchPlain(nil)
	var discard, resumeAll button
	e.waitFor(a, "upgrade-asks", func(d dialogButtons) bool {
		var ok bool
		discard, resumeAll, ok = d.resumeDialog()
		return ok
	})
	e.click(resumeAll)
	e.waitFor(a, "upgrade-gone", func(d dialogButtons) bool { return !d.shows(discard) && !d.shows(resumeAll) })
	e.waitNoUnfinished(a)
	e.quit(a)
	e.noCheckpoint()

	for rel, data := range files {
		key := "up/" + rel
		if rel == "notes/readme.txt" {
			key = "up/readme.txt" // a single file keeps only its name under the prefix
		}
		got, err := e.srv.ReadObject(e.srv.Bucket(), key)
		switch finishedBefore := slices.Contains(testkit.PreviousReleaseFinished, rel); {
		case finishedBefore && err == nil:
			t.Errorf("%s: the old release had finished it, yet it was sent again", key)
		case !finishedBefore && (err != nil || !bytes.Equal(got, data)):
			t.Errorf("%s: %d bytes, %v; want the file's %d bytes", key, len(got), err, len(data))
		}
	}
	hist, err := os.ReadFile(filepath.Join(e.stateDir(), "history.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"dn8t6cfk71a4-28027-1", "dn8t6cty82zo-28027-2"} {
		if !bytes.Contains(hist, []byte(id)) {
			t.Errorf("the old release's history entry %s is gone:\n%s", id, hist)
		}
	}
	if n := bytes.Count(hist, []byte(`"state":"done"`)); n != 5 {
		t.Errorf("history holds %d finished uploads, want the 2 old and 3 new:\n%s", n, hist)
	}
}
