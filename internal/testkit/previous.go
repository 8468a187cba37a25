package testkit

import (
	"embed"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// previousRelease is what the release before the compact queue left after
// `ossdrop upload --jobs 1 --limit-rate 2KiB/s --prefix up/` of a folder
// (photos) and a file (notes/readme.txt), killed with SIGKILL once two of
// the five files had finished: its queue journal and its history, written by
// that release's real binary. Only the source root, the state directory and
// the endpoint are replaced by the placeholders @SRC@, @STATE@, @ENDPOINT@.
//
//go:embed testdata/previous-release
var previousRelease embed.FS

// PreviousReleaseFinished are the files (relative to the source root) the
// previous release had finished before it was killed.
var PreviousReleaseFinished = []string{"photos/a.jpg", "photos/b.jpg"}

// PreviousRelease lays out an upgrade from that release: the five files under
// src, returned by path relative to src, and its journal and history in
// stateDir, naming src, stateDir and endpoint (bucket "local", keys under
// "up/"; the single file's key is "up/readme.txt").
func PreviousRelease(tb testing.TB, src, stateDir, endpoint string) map[string][]byte {
	tb.Helper()
	files := map[string][]byte{
		"photos/a.jpg": RandBytes(1, 3000), "photos/b.jpg": RandBytes(2, 3000),
		"photos/2024/c.jpg": RandBytes(3, 3000), "photos/2024/d.jpg": RandBytes(4, 3000),
		"notes/readme.txt": RandBytes(5, 1500),
	}
	for rel, data := range files {
		WriteFile(tb, src, filepath.FromSlash(rel), data)
	}
	fill := strings.NewReplacer("@SRC@", src, "@STATE@", stateDir, "@ENDPOINT@", endpoint)
	for name, to := range map[string]string{
		"1796068583059119100-28027.jsonl": filepath.Join(stateDir, "queue", "1796068583059119100-28027.jsonl"),
		"history.jsonl":                   filepath.Join(stateDir, "history.jsonl"),
	} {
		b, err := previousRelease.ReadFile(path.Join("testdata", "previous-release", name))
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(to, []byte(fill.Replace(string(b))), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	return files
}
