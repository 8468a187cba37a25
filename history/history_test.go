package history

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/transfer"

	"github.com/ossdrop/ossdrop/internal/testkit"
)

func open(t testing.TB, dir string, o Options) *Recorder {
	t.Helper()
	r, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func load(t testing.TB, dir string) []Entry {
	t.Helper()
	es, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func sample(i int) Entry {
	return Entry{Path: fmt.Sprintf("/home/u/文件 %d.bin", i), Profile: "work", Bucket: "b", Key: fmt.Sprintf("k/%d", i),
		Size: int64(i), CRC64: 1<<63 + uint64(i), State: StateDone, When: time.Unix(1700000000+int64(i), 0).UTC(), Duration: time.Second}
}

func TestRecordSurvivesRelaunch(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	r := open(t, dir, Options{})
	s := transfer.TaskSnapshot{Path: "/x/a b.txt", Key: "p/a b.txt", Bucket: "bk", Profile: "work", Size: 42, CRC64: 1<<64 - 1,
		State: transfer.Failed, Retries: 3, StartedAt: time.Unix(100, 0), EndedAt: time.Unix(105, 0),
		Err: &transfer.TaskError{Message: "access denied", Code: "AccessDenied", RequestID: "RID1"}}
	r.RecordTask(s)
	id := r.Record(sample(1))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	// A new process: a fresh Recorder reads what the last one wrote and adds to it.
	r2 := open(t, dir, Options{})
	got := load(t, dir)
	if len(got) != 2 {
		t.Fatalf("after relaunch: %d entries, want 2: %+v", len(got), got)
	}
	e := got[0]
	if e.Path != s.Path || e.Key != s.Key || e.Bucket != "bk" || e.Profile != "work" || e.Size != 42 || e.State != "failed" ||
		e.Retries != 3 || e.Duration != 5*time.Second || e.ErrorCode != "AccessDenied" || e.RequestID != "RID1" ||
		!strings.Contains(e.Error, "access denied") || e.CRC64 != 0 {
		t.Fatalf("entry read back: %+v", e)
	}
	if got[1].ID != id || got[1].CRC64 != 1<<63+1 {
		t.Fatalf("second entry: %+v", got[1])
	}
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	r2.AddLink(got[1], Link{URL: "https://b.oss.example.com/k/1?Expires=1&Signature=abc&security-token=tok", Presigned: true, Issued: time.Now(), Expires: exp})
	if err := r2.Flush(); err != nil {
		t.Fatal(err)
	}
	got = load(t, dir)
	if len(got) != 2 || len(got[1].Links) != 1 {
		t.Fatalf("after AddLink: %+v", got)
	}
	if l := got[1].Links[0]; l.URL != "https://b.oss.example.com/k/1" || !l.Expires.Equal(exp) || !l.Presigned {
		t.Fatalf("link: %+v", l)
	}
	for name, want := range map[string]fs.FileMode{"": 0o700, FileName: 0o600, lockName: 0o600} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || st.Mode().Perm() != want {
			t.Errorf("%q: mode %v (%v), want %v", name, st.Mode().Perm(), err, want)
		}
	}
}

func TestCapped(t *testing.T) {
	dir := t.TempDir()
	r := open(t, dir, Options{MaxEntries: 100})
	for i := range 1000 {
		r.Record(sample(i))
		if i%37 == 0 {
			r.Flush()
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	got := load(t, dir)
	if len(got) > 200 || len(got) < 100 {
		t.Fatalf("%d entries kept, want 100 to 200 (compacted to 100 at 200)", len(got))
	}
	if last := got[len(got)-1]; last.Key != "k/999" {
		t.Fatalf("newest entry lost: last is %q", last.Key)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Size != got[i-1].Size+1 {
			t.Fatalf("not the newest contiguous entries: %d then %d", got[i-1].Size, got[i].Size)
		}
	}

	// The size cap holds too.
	dir2 := t.TempDir()
	r2 := open(t, dir2, Options{MaxBytes: 20 << 10})
	for i := range 2000 {
		r2.Record(sample(i))
	}
	r2.Close()
	st, _ := os.Stat(filepath.Join(dir2, FileName))
	if st.Size() > 20<<10 {
		t.Fatalf("history is %d bytes, cap 20 KiB", st.Size())
	}
	if got := load(t, dir2); len(got) == 0 || got[len(got)-1].Key != "k/1999" {
		t.Fatalf("size-capped history lost the newest entry")
	}
}

func TestTornLastLine(t *testing.T) {
	dir := t.TempDir()
	r := open(t, dir, Options{})
	r.Record(sample(1))
	r.Record(sample(2))
	r.Close()
	path := filepath.Join(dir, FileName)
	data, _ := os.ReadFile(path)
	// A crash in the middle of the next write leaves half a line.
	torn := append(bytes.Clone(data), []byte(`{"id":"x","path":"/half`)...)
	if err := os.WriteFile(path, torn, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := load(t, dir); len(got) != 2 || got[1].Key != "k/2" {
		t.Fatalf("with a torn tail: %+v", got)
	}
	r2 := open(t, dir, Options{})
	r2.Record(sample(3))
	if err := r2.Close(); err != nil {
		t.Fatal(err)
	}
	got := load(t, dir)
	if len(got) != 3 || got[2].Key != "k/3" {
		t.Fatalf("append after a torn tail: %+v", got)
	}
	data, _ = os.ReadFile(path)
	if bytes.Contains(data, []byte("/half")) {
		t.Fatalf("torn line was not cut before appending:\n%s", data)
	}
}

func TestNoSecretInStateDir(t *testing.T) {
	const secret = "Sup3rS3cretKey/+xyz"
	const token = "CAIS-sts-token-value"
	dir := t.TempDir()
	r := open(t, dir, Options{Secrets: func() []string { return []string{secret, token} }})
	e := sample(1)
	e.State, e.Error = StateFailed, "signature mismatch: string to sign used "+secret+" token "+token
	e = r.AddLink(e, Link{URL: "https://b.example.com/k?OSSAccessKeyId=AK&Signature=sig%2Fx&security-token=" + token, Presigned: true})
	r.Record(e)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := os.ReadFile(p)
		for _, s := range []string{secret, token, "sig%2Fx"} {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s holds %q:\n%s", p, s, data)
			}
		}
		return nil
	})
	if got := load(t, dir); len(got) != 1 || !strings.Contains(got[0].Error, "signature mismatch") {
		t.Fatalf("entry lost while masking: %+v", got)
	}
}

func TestTwoRecordersShareOneFile(t *testing.T) {
	// Two processes (the window and a command) append while one also rewrites the
	// file: no append may land in a file being replaced.
	dir := t.TempDir()
	a := open(t, dir, Options{})
	b := open(t, dir, Options{})
	done := make(chan struct{})
	go func() {
		for i := range 500 {
			a.Record(sample(i))
			if i%10 == 0 {
				a.Flush()
				if err := a.Compact(); err != nil {
					t.Error(err)
				}
			}
		}
		a.Flush()
		close(done)
	}()
	for i := range 500 {
		b.Record(sample(1000 + i))
		if i%7 == 0 {
			b.Flush()
		}
	}
	b.Flush()
	<-done
	a.Close()
	b.Close()
	if got := load(t, dir); len(got) != 1000 {
		t.Fatalf("%d entries, want all 1000", len(got))
	}
}

// TestKill9KeepsLastCompleteEntry kills a recording process mid-write, many times
// over, and checks that every entry it reported written survives, in order.
func TestKill9KeepsLastCompleteEntry(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	exe, _ := os.Executable()
	total := 0
	for round := range 3 {
		cmd := exec.Command(exe, "-test.run=^TestHelperRecorder$")
		cmd.Env = append(os.Environ(), "OSSDROP_HISTORY_HELPER="+dir, "OSSDROP_HISTORY_ROUND="+strconv.Itoa(round))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until it has flushed a few batches, then kill it while it keeps writing.
		buf := make([]byte, 4096)
		var seen []byte
		for bytes.Count(seen, []byte{'\n'}) < 5 {
			n, err := out.Read(buf)
			if err != nil {
				t.Fatalf("helper: %v (%s)", err, seen)
			}
			seen = append(seen, buf[:n]...)
		}
		cmd.Process.Kill()
		cmd.Wait()
		lines := strings.Split(strings.TrimSpace(string(seen)), "\n")
		flushed, _ := strconv.Atoi(lines[len(lines)-1])

		got := load(t, dir)
		var mine []Entry
		for _, e := range got {
			if e.Profile == "round"+strconv.Itoa(round) {
				mine = append(mine, e)
			}
		}
		if len(mine) < flushed {
			t.Fatalf("round %d: %d entries survive, but %d were reported written", round, len(mine), flushed)
		}
		for i, e := range mine {
			if e.Size != int64(i) {
				t.Fatalf("round %d: entry %d has sequence %d", round, i, e.Size)
			}
		}
		total += len(mine)
		if len(got) != total {
			t.Fatalf("round %d: %d entries in all, want %d", round, len(got), total)
		}
	}
}

// TestHelperRecorder is the process TestKill9KeepsLastCompleteEntry kills: it records
// numbered entries as fast as it can and prints how many are on disk.
func TestHelperRecorder(t *testing.T) {
	dir := os.Getenv("OSSDROP_HISTORY_HELPER")
	if dir == "" {
		t.Skip("helper process only")
	}
	unflushed := os.Getenv("OSSDROP_HISTORY_UNFLUSHED") != ""
	o := Options{}
	if unflushed {
		o.MaxEntries = 100 // compacts every few batches
	}
	r, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		e := sample(i)
		e.Size, e.Profile = int64(i), "round"+os.Getenv("OSSDROP_HISTORY_ROUND")
		e.Error = strings.Repeat("x", 2000) // long lines make a torn write likely
		r.Record(e)
		if unflushed {
			if i%100 == 99 {
				time.Sleep(time.Millisecond) // a pace the disk keeps up with
			}
			continue
		}
		if i%50 == 49 {
			if err := r.Flush(); err != nil {
				t.Fatal(err)
			}
			fmt.Println(i + 1)
		}
	}
}

// BenchmarkRecord is the cost on the upload's path: it must not wait for the disk.
func BenchmarkRecord(b *testing.B) {
	r := open(b, b.TempDir(), Options{})
	e := sample(1)
	b.ReportAllocs()
	for b.Loop() {
		r.Record(e)
	}
	b.StopTimer()
	r.Close()
}

// BenchmarkLoad10k reads a full history file, as opening History does.
func BenchmarkLoad10k(b *testing.B) {
	dir := b.TempDir()
	r := open(b, dir, Options{})
	for i := range 10000 {
		r.Record(sample(i))
	}
	r.Close()
	cpu0 := testkit.CPUTime()
	for b.Loop() {
		if es, err := Load(dir); err != nil || len(es) != 10000 {
			b.Fatal(len(es), err)
		}
	}
	b.ReportMetric(float64(testkit.CPUTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// Compaction streams the file but keeps Load's rules: an updated entry stays
// where it first appeared, lines that do not parse go, and the newest
// MaxEntries entries are kept.
func TestCompactKeepsLoadRules(t *testing.T) {
	line := func(id string, i int) string {
		e := sample(i)
		e.ID = id
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		return string(b) + "\n"
	}
	file := line("a", 1) + line("b", 2) + "not json\n" + line("a", 11) + "\n" + line("c", 3) + `{"id":"d","path":"/half`
	for _, tc := range []struct {
		max  int
		want []string // keys, oldest first
	}{
		{10, []string{"k/11", "k/2", "k/3"}},
		{2, []string{"k/2", "k/3"}},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, FileName), []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		before := load(t, dir)
		r := open(t, dir, Options{MaxEntries: tc.max})
		if err := r.Compact(); err != nil {
			t.Fatal(err)
		}
		got := load(t, dir)
		var keys []string
		for _, e := range got {
			keys = append(keys, e.Key)
		}
		if !slices.Equal(keys, tc.want) {
			t.Errorf("MaxEntries %d: compacted to %q, want %q", tc.max, keys, tc.want)
		}
		if tc.max == 10 && !reflect.DeepEqual(got, before) {
			t.Errorf("compaction within bounds changed the entries:\n%+v\nwant\n%+v", got, before)
		}
	}
}

// TestEntryStoresErrorKind: a finished task's entry keeps its error's kind
// and HTTP status next to the exact message, through the file and back; an
// entry written before kinds were stored still loads.
func TestEntryStoresErrorKind(t *testing.T) {
	dir := t.TempDir()
	r := open(t, dir, Options{})
	denied := transfer.TaskSnapshot{Path: "/home/李/数据/a.txt", Bucket: "b", Key: "a.txt", State: transfer.Failed,
		Err: &transfer.TaskError{Op: "open", Message: "cannot read /home/李/数据/a.txt", Err: fs.ErrPermission}}
	refused := transfer.TaskSnapshot{Path: "/b.txt", Bucket: "b", Key: "b.txt", State: transfer.Failed,
		Err: &transfer.TaskError{Op: "upload", Message: "refused", Code: "AccessDenied", Status: 403, RequestID: "R1"}}
	r.RecordTask(denied)
	r.RecordTask(refused)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	old := `{"id":"x","path":"/c.txt","bucket":"b","key":"c.txt","size":1,"state":"failed","when":"2026-01-01T00:00:00Z","duration":0,"error":"boom"}` + "\n"
	f, err := os.OpenFile(filepath.Join(dir, FileName), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(old); err != nil {
		t.Fatal(err)
	}
	f.Close()
	es := load(t, dir)
	if len(es) != 3 {
		t.Fatalf("%d entries: %+v", len(es), es)
	}
	byKey := map[string]Entry{}
	for _, e := range es {
		byKey[e.Key] = e
	}
	if e := byKey["a.txt"]; e.ErrorKind != "no-permission" || !strings.Contains(e.Error, "/home/李/数据/a.txt") {
		t.Errorf("permission entry: %+v", e)
	}
	if e := byKey["b.txt"]; e.ErrorKind != "oss" || e.ErrorCode != "AccessDenied" || e.ErrorStatus != 403 || e.RequestID != "R1" {
		t.Errorf("OSS entry: %+v", e)
	}
	if e := byKey["c.txt"]; e.ErrorKind != "" || e.Error != "boom" {
		t.Errorf("old entry: %+v", e)
	}
}

// A Recorder compacts without parsing again the lines it wrote itself, yet
// what other processes did to the file in between counts as ever: an entry
// updated by another process keeps its place with the update, a line that
// does not parse goes, and a file replaced by another process is read anew.
func TestCompactAfterOthersWrote(t *testing.T) {
	dir := t.TempDir()
	a := open(t, dir, Options{MaxEntries: 20})
	ids := make([]string, 0, 60)
	for i := range 25 { // past 22 entries: a compaction makes the head known
		ids = append(ids, a.Record(sample(i)))
	}
	if err := a.Flush(); err != nil {
		t.Fatal(err)
	}
	// Another process adds a link to an entry a wrote, and a line is damaged.
	b := open(t, dir, Options{})
	e := sample(10)
	e.ID = ids[10]
	b.AddLink(e, Link{URL: "https://b.example.com/k/10", Issued: time.Unix(1700000000, 0).UTC()})
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, FileName), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("not json\n")
	f.Close()
	for i := 25; i < 30; i++ {
		a.Record(sample(i))
	}
	if err := a.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := a.Compact(); err != nil {
		t.Fatal(err)
	}
	got := load(t, dir)
	if len(got) != 20 || got[len(got)-1].Key != "k/29" {
		t.Fatalf("%d entries, last %q; want the newest 20", len(got), got[len(got)-1].Key)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, FileName))
	if bytes.Contains(raw, []byte("not json")) {
		t.Fatal("a line that does not parse survived compaction")
	}
	if got[0].Key != "k/10" || len(got[0].Links) != 1 {
		t.Fatalf("the updated entry lost its place or its link: %+v", got[0])
	}

	// Another process replaces the file (its own compaction): a reads it anew.
	c := open(t, dir, Options{MaxEntries: 5})
	if err := c.Compact(); err != nil {
		t.Fatal(err)
	}
	for i := 30; i < 50; i++ {
		a.Record(sample(i))
	}
	if err := a.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := a.Compact(); err != nil {
		t.Fatal(err)
	}
	got = load(t, dir)
	if len(got) != 20 || got[0].Key != "k/30" || got[len(got)-1].Key != "k/49" {
		t.Fatalf("after another process compacted: %d entries, %q..%q", len(got), got[0].Key, got[len(got)-1].Key)
	}
}

// TestKill9GroupCommitAndCompaction kills a process that records without ever
// calling Flush while its history is compacted every few batches: what the
// group commit put on disk survives, and the file always holds the newest
// entries in order, with none missing between them.
func TestKill9GroupCommitAndCompaction(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	exe, _ := os.Executable()
	for round := range 3 {
		cmd := exec.Command(exe, "-test.run=^TestHelperRecorder$")
		cmd.Env = append(os.Environ(), "OSSDROP_HISTORY_HELPER="+dir, "OSSDROP_HISTORY_ROUND="+strconv.Itoa(round), "OSSDROP_HISTORY_UNFLUSHED=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		mine := func() []Entry {
			var out []Entry
			for _, e := range load(t, dir) {
				if e.Profile == "round"+strconv.Itoa(round) {
					out = append(out, e)
				}
			}
			return out
		}
		// Wait until batches written without a Flush went through many
		// compactions (the round's oldest entries are gone from the file),
		// note the newest entry on disk, then kill. A batch gathers up to
		// batchMax entries, so one batch alone can hold 2,000: the kill may
		// land between it and its compaction.
		var seen int64 = -1
		for deadline, compacted := time.Now().Add(time.Minute), false; seen < 2000 || !compacted; {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("round %d: after a minute the newest entry on disk is %d, compacted: %v; the group commit does not write or compact", round, seen, compacted)
			}
			if m := mine(); len(m) > 0 {
				seen, compacted = m[len(m)-1].Size, m[0].Size > 0
			}
			time.Sleep(10 * time.Millisecond)
		}
		cmd.Process.Kill()
		cmd.Wait()
		m := mine()
		if len(m) == 0 || m[len(m)-1].Size < seen {
			t.Fatalf("round %d: entry %d was on disk before the kill and is gone (%d entries left)", round, seen, len(m))
		}
		if m[0].Size == 0 {
			// A kill between a batch and its compaction leaves the batch beyond
			// the cap, but never brings back entries compacted away.
			t.Fatalf("round %d: %d entries kept from the first on: compacted entries came back", round, len(m))
		}
		for i := 1; i < len(m); i++ {
			if m[i].Size != m[i-1].Size+1 {
				t.Fatalf("round %d: entry %d follows %d", round, m[i].Size, m[i-1].Size)
			}
		}
	}
}
