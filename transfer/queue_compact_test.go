package transfer

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/ossemu"
)

// oldQueueLine is a record as journals before the compact format wrote every
// record: one JSON object per line, written out here literally.
func oldQueueLine(ts int64, op string, d Destination, path, key string, size int64, cpDir string) string {
	id := qidOf(d, key, path)
	if op == opWalk {
		id = "walk-" + qidOf(d, key, "walk:"+path)
	}
	return fmt.Sprintf(`{"ts":%d,"op":%q,"id":%q,"path":%q,"key":%q,"bucket":%q,"endpoint":%q,"size":%d,"cp_dir":%q}`+"\n",
		ts, op, id, path, key, d.Bucket, d.Endpoint, size, cpDir)
}

// A user upgrading with files still queued by the old journal format loses
// nothing: queued files and an unfinished folder walk are listed, resumed and
// uploaded (leaving out the file the old journal recorded as finished), and the
// old journal is compacted away.
func TestQueueReadsOldJournal(t *testing.T) {
	t.Parallel()
	s := newServer(t, ossemu.Options{})
	src := t.TempDir()
	a := writeFile(t, src, "a.txt", []byte("alpha"))
	c := writeFile(t, src, "sub/c.txt", []byte("gamma"))
	walked := filepath.Join(src, "walked")
	writeFile(t, walked, "new.txt", []byte("new"))
	done := writeFile(t, walked, "done.txt", []byte("done"))
	state := t.TempDir()
	d := Destination{Endpoint: s.URL, Bucket: s.Bucket()}
	cp := filepath.Join(state, "checkpoints")
	journal := oldQueueLine(1, opAdd, d, a, "up/a.txt", 5, cp) +
		oldQueueLine(2, opAdd, d, c, "up/sub/c.txt", 5, cp) +
		oldQueueLine(3, opWalk, d, walked, "up/", 0, cp) +
		oldQueueLine(4, opAdd, d, done, "up/walked/done.txt", 4, cp) +
		fmt.Sprintf(`{"ts":5,"op":"del","id":%q}`+"\n", qidOf(d, "up/walked/done.txt", done))
	q := filepath.Join(state, "queue")
	if err := os.MkdirAll(q, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(q, "1-1.jsonl"), []byte(journal), 0o600); err != nil {
		t.Fatal(err)
	}
	us, err := ListUnfinished(state)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range us {
		if u.Err != nil {
			t.Fatalf("old record unreadable: %v", u.Err)
		}
		got = append(got, fmt.Sprintf("%s walk=%v", u.Key, u.Walk))
	}
	if want := "up/a.txt walk=false|up/sub/c.txt walk=false|up/ walk=true"; strings.Join(got, "|") != want {
		t.Fatalf("listed %q, want %q", strings.Join(got, "|"), want)
	}
	m := newManager(t, s, state, nil)
	m.ResumeUnfinished(us)
	waitIdle(t, m)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	mustObject(t, s, "up/a.txt", []byte("alpha"))
	mustObject(t, s, "up/sub/c.txt", []byte("gamma"))
	mustObject(t, s, "up/walked/new.txt", []byte("new"))
	if _, err := s.ReadObject(s.Bucket(), "up/walked/done.txt"); err == nil {
		t.Fatal("the file the old journal recorded as finished was uploaded again")
	}
	if us, _ := ListUnfinished(state); len(us) != 0 {
		t.Fatalf("still unfinished after resume: %+v", us)
	}
	if js, _ := filepath.Glob(filepath.Join(q, "*.jsonl")); len(js) != 0 {
		t.Fatalf("journals left: %v", js)
	}
}

// queueBytes is the size of the journals in stateDir's queue.
func queueBytes(t *testing.T, stateDir string) int64 {
	t.Helper()
	js, _ := filepath.Glob(filepath.Join(stateDir, "queue", "*.jsonl"))
	var n int64
	for _, j := range js {
		st, err := os.Stat(j)
		if err != nil {
			t.Fatal(err)
		}
		n += st.Size()
	}
	return n
}

// A walked folder costs at most 100 bytes per queued file on disk, every file
// is listed from the journal as a crash would leave it, and once a later run
// finishes them no journal is left.
func TestQueueCompactOnDisk(t *testing.T) {
	t.Parallel()
	s := newServer(t, ossemu.Options{})
	hold := s.Inject(ossemu.Fault{Delay: 20 * time.Second}) // nothing finishes while we look
	src := filepath.Join(t.TempDir(), "Camera Roll")
	const n = 600
	for i := range n {
		writeFile(t, src, fmt.Sprintf("2026/%02d/IMG_%06d.jpg", i%12+1, i), []byte(fmt.Sprint(i)))
	}
	state := t.TempDir()
	m := newManager(t, s, state, nil)
	m.Add([]string{src}, "phone")
	waitWalked(t, m, 30*time.Second)
	if err := m.queue.flush(); err != nil {
		t.Fatal(err)
	}
	per := float64(queueBytes(t, state)) / n
	t.Logf("queue on disk: %.1f bytes per queued file", per)
	if per > 100 {
		t.Fatalf("%.1f bytes per queued file on disk; the budget is 100", per)
	}
	us, err := ListUnfinished(copyDir(t, state))
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, u := range us {
		if u.Err != nil || u.Walk {
			t.Fatalf("unexpected record %+v", u)
		}
		keys[u.Key] = u.Path
	}
	for i := range n {
		rel := fmt.Sprintf("2026/%02d/IMG_%06d.jpg", i%12+1, i)
		if p := keys["phone/Camera Roll/"+rel]; p != filepath.Join(src, rel) {
			t.Fatalf("file %s listed as %q (%d listed)", rel, p, len(keys))
		}
	}
	// Stopped here, the queue is resumed by a later run, whose journal
	// records the files as compactly and owns them while it runs: another
	// ossdrop lists them as in use.
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m2 := newManager(t, s, state, nil)
	us, _ = ListUnfinished(state)
	m2.ResumeUnfinished(us)
	if err := m2.queue.flush(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(m2.queue.path)
	if err != nil {
		t.Fatal(err)
	}
	if per := float64(st.Size()) / n; per > 100 {
		t.Fatalf("resuming journaled %.1f bytes per file; the budget is 100", per)
	}
	us, _ = ListUnfinished(state)
	inUse := 0
	for _, u := range us {
		if u.InUse {
			inUse++
		}
	}
	if inUse != n {
		t.Fatalf("%d of %d resumed files listed as in use by the running resume", inUse, n)
	}
	if err := m2.Close(); err != nil {
		t.Fatal(err)
	}
	// The resume took over every file of the first run's journal: closing
	// drops that journal and keeps its own as written, nothing rewritten.
	if js, _ := filepath.Glob(filepath.Join(state, "queue", "*.jsonl")); len(js) != 1 || js[0] != m2.queue.path {
		t.Fatalf("journals after the resumed run closed: %v, want only %s", js, m2.queue.path)
	}
	if us, _ := ListUnfinished(state); len(us) != n {
		t.Fatalf("%d unfinished after the resumed run closed, want %d", len(us), n)
	}
	// A run after that finishes every file.
	hold()
	m3 := newManager(t, s, state, nil)
	us, _ = ListUnfinished(state)
	m3.ResumeUnfinished(us)
	waitIdle(t, m3)
	if err := m3.Close(); err != nil {
		t.Fatal(err)
	}
	if got := len(s.Keys(s.Bucket())); got != n {
		t.Fatalf("%d objects, want %d", got, n)
	}
	if js, _ := filepath.Glob(filepath.Join(state, "queue", "*.jsonl")); len(js) != 0 {
		t.Fatalf("journals left after every file finished: %v", js)
	}
}

// Closing leaves journals of earlier runs alone unless this run finished files
// they list: then they are compacted so those files are not offered again.
func TestQueueCloseTouchesOthersOnlyWhenNeeded(t *testing.T) {
	t.Parallel()
	s := newServer(t, ossemu.Options{})
	src := t.TempDir()
	other := writeFile(t, src, "other.txt", []byte("left for later"))
	mine := writeFile(t, src, "mine.txt", []byte("uploaded now"))
	again := writeFile(t, src, "again.txt", []byte("listed before"))
	d := Destination{Endpoint: s.URL, Bucket: s.Bucket()}
	state := t.TempDir()
	q := filepath.Join(state, "queue")
	os.MkdirAll(q, 0o700)
	old := filepath.Join(q, "1-1.jsonl")
	content := oldQueueLine(1, opAdd, d, other, "other.txt", 14, "") + oldQueueLine(2, opAdd, d, again, "again.txt", 13, "")
	if err := os.WriteFile(old, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}

	run := func(path string) {
		m := newManager(t, s, state, nil)
		m.Add([]string{path}, "")
		waitIdle(t, m)
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}
	run(mine) // unrelated to the old journal: it stays as it was
	if b, err := os.ReadFile(old); err != nil || !bytes.Equal(b, []byte(content)) {
		t.Fatalf("old journal rewritten by an unrelated run: %q, %v", b, err)
	}
	if js, _ := filepath.Glob(filepath.Join(q, "*.jsonl")); len(js) != 1 {
		t.Fatalf("journals %v, want only the old one", js)
	}
	run(again) // finishes a file the old journal lists
	us, _ := ListUnfinished(state)
	if len(us) != 1 || us[0].Path != other {
		t.Fatalf("unfinished %+v, want only %s", us, other)
	}
}

// The encoder and decoder agree on names that need escaping, and a record
// whose key does not follow from its folder keeps the object format.
func TestQueueFormatRoundTrip(t *testing.T) {
	t.Parallel()
	d := Destination{ID: "p1", Endpoint: "http://127.0.0.1:1", Bucket: "bkt", Profile: "Work", Region: "cn-x", AuthV4: true}
	dir := filepath.Join(t.TempDir(), `odd "dir"`)
	names := []string{"plain.txt", `quote".txt`, "tab\tname", "ünï cödé.txt", `back\slash`, "<&>.html"}
	var files []queueFile
	for i, nm := range names {
		files = append(files, queueFile{name: nm, id: qidOf(d, "pre/"+toSlash(nm), filepath.Join(dir, nm)), size: int64(i)})
	}
	var e queueEncoder
	e.files(7, d, "/cp", dir, "pre/", files)
	e.record(queueRec{TS: 8, Op: opAdd, ID: qidOf(d, "x (1)", filepath.Join(dir, "x")), Path: filepath.Join(dir, "x"), Key: "x (1)", Bucket: "bkt", Endpoint: d.Endpoint, Dest: "p1"})
	e.record(queueRec{TS: 9, Op: opAdd, ID: qidOf(d, "pre/y", filepath.Join(dir, "y")), Path: filepath.Join(dir, "y"), Key: "pre/y", Bucket: d.Bucket, Endpoint: d.Endpoint, Dest: d.ID, Profile: d.Profile, Region: d.Region, AuthV4: true, CPDir: "/cp"})
	e.endFiles()
	e.del(files[0].id)
	e.endDels(func() int64 { return 10 })
	name := filepath.Join(t.TempDir(), "j.jsonl")
	if err := os.WriteFile(name, e.buf, 0o600); err != nil {
		t.Fatal(err)
	}
	latest, _, errs, _ := queueStateOf([]string{name}, nil)
	if len(errs) != 0 {
		t.Fatalf("errors %v in\n%s", errs, e.buf)
	}
	for i, f := range files {
		r, ok := latest[f.id]
		switch {
		case !ok:
			t.Fatalf("%q lost in\n%s", names[i], e.buf)
		case i == 0 && r.Op != opDel:
			t.Fatalf("finished file reads as %+v", r)
		case i > 0 && (r.Op != opAdd || r.Path != filepath.Join(dir, names[i]) || r.Size != int64(i) || r.CPDir != "/cp" || r.Profile != "Work" || !r.AuthV4):
			t.Fatalf("%q reads as %+v", names[i], r)
		}
	}
	if len(latest) != len(files)+2 {
		t.Fatalf("%d records, want %d", len(latest), len(files)+2)
	}
	if !bytes.Contains(e.buf, []byte(`"key":"x (1)"`)) {
		t.Fatalf("a key of its own lost its object record:\n%s", e.buf)
	}
}

// Quitting with a large queue of which little finished leaves the journal as
// it is instead of rewriting every open record (seconds for half a million
// files); nothing it holds is lost.
func TestQueueCloseKeepsMostlyOpenJournal(t *testing.T) {
	t.Parallel()
	const n = 400
	_, state, m := heldQueue(t, n)
	if err := m.queue.flush(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(m.queue.path)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile(m.queue.path)
	if err != nil {
		js, _ := filepath.Glob(filepath.Join(state, "queue", "*.jsonl"))
		t.Fatalf("the journal was rewritten at close (journals now %v): %v", js, err)
	}
	if !bytes.HasPrefix(after, before) {
		t.Fatal("the journal's records changed at close")
	}
	us, err := ListUnfinished(state)
	if err != nil || len(us) != n {
		t.Fatalf("%d unfinished listed after close, want %d: %v", len(us), n, err)
	}
}

// A run that resumes only some of an earlier run's queue (the rest unticked)
// closes without losing the rest: they are still listed afterwards.
func TestQueueCloseKeepsWhatResumeLeft(t *testing.T) {
	t.Parallel()
	const n = 50
	s, state, m := heldQueue(t, n)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	us, _ := ListUnfinished(state)
	if len(us) != n {
		t.Fatalf("%d listed, want %d", len(us), n)
	}
	m2 := newManager(t, s, state, nil)
	m2.ResumeUnfinished(us[:10])
	if err := m2.Close(); err != nil {
		t.Fatal(err)
	}
	if us, _ := ListUnfinished(state); len(us) != n {
		t.Fatalf("%d unfinished after resuming 10 of %d and quitting, want all %d", len(us), n, n)
	}
}

// heldQueue queues a folder of n small files on a Manager whose uploads the
// server holds (for longer than the test), and waits until all are queued.
func heldQueue(t *testing.T, n int) (*ossemu.Server, string, *Manager) {
	t.Helper()
	s := newServer(t, ossemu.Options{})
	t.Cleanup(s.Inject(ossemu.Fault{Delay: 20 * time.Second}))
	src := t.TempDir()
	for i := range n {
		writeFile(t, src, fmt.Sprintf("f%04d.txt", i), []byte(fmt.Sprint(i)))
	}
	state := t.TempDir()
	m := newManager(t, s, state, nil)
	m.Add([]string{src}, "")
	waitWalked(t, m, 30*time.Second)
	return s, state, m
}
