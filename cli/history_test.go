package cli

import (
	"bytes"
	"encoding/json"
	"hash/crc64"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ossdrop/ossdrop/history"
	"github.com/ossdrop/ossdrop/ossemu"
)

func TestHistoryCommand(t *testing.T) {
	s, err := ossemu.NewServer(ossemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir, state := t.TempDir(), t.TempDir()
	data := rnd(250<<10, 3)
	good := filepath.Join(dir, "報告 one.bin")
	os.WriteFile(good, data, 0o644)
	missing := filepath.Join(dir, "gone\tfile.bin")

	r := run(t, s, nil, "upload", "--endpoint", s.URL, "--bucket", s.Bucket(), "--prefix", "in", "--part-size", "100KiB",
		"--state-dir", state, good)
	if r.code != 0 {
		t.Fatalf("upload: exit %d\n%s", r.code, r.stderr)
	}
	if r = run(t, s, nil, "upload", "--endpoint", s.URL, "--bucket", s.Bucket(), "--state-dir", state, missing); r.code != 1 {
		t.Fatalf("upload of a missing file: exit %d\n%s", r.code, r.stderr)
	}

	// Table: a header, then one line per entry, oldest first.
	r = run(t, s, nil, "history", "--state-dir", state)
	if r.code != 0 {
		t.Fatalf("history: exit %d\n%s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("table has %d lines, want header + 2:\n%s", len(lines), r.stdout)
	}
	if !regexp.MustCompile(`^WHEN +STATE +SIZE +TOOK +RETRIES +PROFILE +DESTINATION +FILE +ERROR$`).MatchString(lines[0]) {
		t.Fatalf("header: %q", lines[0])
	}
	row := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +done +250 KiB +\S+ +0 +- +oss://` + s.Bucket() + `/in/報告 one\.bin +` + regexp.QuoteMeta(good) + ` *$`)
	if !row.MatchString(lines[1]) {
		t.Fatalf("done row: %q", lines[1])
	}
	// A file name with a tab is quoted, so it stays one cell and is named exactly.
	if !strings.Contains(lines[2], " failed ") || !strings.Contains(lines[2], strconv.Quote(missing)) || !strings.Contains(lines[2], "no such file") {
		t.Fatalf("failed row: %q", lines[2])
	}

	// JSON lines for scripts, every field by its documented name.
	r = run(t, s, nil, "history", "--state-dir", state, "--json")
	var got []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		got = append(got, m)
	}
	want := strconv.FormatUint(crc64.Checksum(data, crc64.MakeTable(crc64.ECMA)), 10)
	if len(got) != 2 || got[0]["path"] != good || got[0]["key"] != "in/報告 one.bin" || got[0]["bucket"] != s.Bucket() ||
		got[0]["crc64"] != want || got[0]["size"] != float64(len(data)) || got[0]["state"] != "done" ||
		got[1]["state"] != "failed" || got[1]["path"] != missing || got[1]["error"] == nil {
		t.Fatalf("json lines: %v", got)
	}
	for _, k := range []string{"id", "when", "duration"} {
		if _, ok := got[0][k]; !ok {
			t.Errorf("json lacks %q: %v", k, got[0])
		}
	}

	// One JSON array, with filters: newest matching first cut by --limit.
	r = run(t, s, nil, "history", "--state-dir", state, "--format", "json", "--state", "done", "--search", "報告")
	var arr []history.Entry
	if err := json.Unmarshal([]byte(r.stdout), &arr); err != nil || len(arr) != 1 || arr[0].Path != good {
		t.Fatalf("json array: %v %q", err, r.stdout)
	}
	r = run(t, s, nil, "history", "--state-dir", state, "--format", "json", "--search", "nothing-matches")
	if strings.TrimSpace(r.stdout) != "[]" {
		t.Fatalf("empty selection: %q", r.stdout)
	}
	r = run(t, s, nil, "history", "--state-dir", state, "--json", "--limit", "1")
	if strings.Count(r.stdout, "\n") != 1 || !strings.Contains(r.stdout, `"failed"`) {
		t.Fatalf("--limit 1 is not the newest entry: %q", r.stdout)
	}

	for _, bad := range [][]string{{"--state", "weird"}, {"--format", "xml"}, {"--limit", "-1"}, {"extra"}} {
		if r := run(t, s, nil, append([]string{"history", "--state-dir", state}, bad...)...); r.code != 2 || r.stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", bad, r.code, r.stderr)
		}
	}

	// The state directory never holds the secret.
	filepath.WalkDir(state, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(s.AccessKeySecret)) {
				t.Errorf("%s holds the access key secret", p)
			}
		}
		return nil
	})
}
