package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A person upgrades with uploads still queued by the previous release: its
// queue journal and history (testdata/previous-release, written by the
// release before the compact queue — `ossdrop upload --jobs 1 --limit-rate
// 2KiB/s` of a folder and a file, killed with SIGKILL after two of five files
// finished; only the source root, state directory and endpoint are replaced by
// placeholders) are picked up by this release's `ossdrop resume`: the three
// files still queued are uploaded byte-exact, the two the old release finished
// are not sent again, the old journal is compacted away and the history keeps
// the old entries beside the new ones.
func TestResumeQueueOfPreviousRelease(t *testing.T) {
	s := newTestServer(t)
	src, state := t.TempDir(), t.TempDir()
	files := map[string][]byte{
		"photos/a.jpg": rnd(3000, 1), "photos/b.jpg": rnd(3000, 2),
		"photos/2024/c.jpg": rnd(3000, 3), "photos/2024/d.jpg": rnd(3000, 4),
		"notes/readme.txt": rnd(1500, 5),
	}
	for rel, data := range files {
		p := filepath.Join(src, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fixture := strings.NewReplacer("@SRC@", src, "@STATE@", state, "@ENDPOINT@", s.URL)
	copyFixture := func(name, to string) {
		b, err := os.ReadFile(filepath.Join("testdata", "previous-release", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, []byte(fixture.Replace(string(b))), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	journal := "1796068583059119100-28027.jsonl"
	copyFixture(journal, filepath.Join(state, "queue", journal))
	copyFixture("history.jsonl", filepath.Join(state, "history.jsonl"))

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
		switch finishedBefore := strings.HasPrefix(rel, "photos/a") || strings.HasPrefix(rel, "photos/b"); {
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
