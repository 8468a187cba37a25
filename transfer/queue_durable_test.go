package transfer

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/ossemu"
)

// copyDir copies a state directory as a crash would leave it at this instant.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(to, 0o700)
		}
		in, err := os.Open(p)
		if err != nil {
			return nil
		}
		defer in.Close()
		out, err := os.Create(to)
		if err != nil {
			return err
		}
		defer out.Close()
		io.Copy(out, in)
		return nil
	})
	return dst
}

// Whatever Add was given survives a crash at any moment after Add returns: right
// away (only the walk record is on disk) or mid-walk (some files recorded). Resume
// walks the folder again and uploads every file once.
func TestCrashMidWalkResumes(t *testing.T) {
	old := queueFlushInterval
	queueFlushInterval = time.Hour // only synchronous commits reach the disk
	t.Cleanup(func() { queueFlushInterval = old })
	const n = 2500
	src := filepath.Join(t.TempDir(), "many")
	for i := 0; i < n; i++ {
		writeFile(t, src, fmt.Sprintf("d%d/f%04d.txt", i%7, i), []byte(fmt.Sprint("file ", i)))
	}
	s := newServer(t, ossemu.Options{})
	hold := s.Inject(ossemu.Fault{Delay: 20 * time.Second}) // nothing finishes while we look
	state := t.TempDir()
	m := newManager(t, s, state, nil)
	m.Add([]string{src}, "up")
	snaps := []string{copyDir(t, state)} // killed the instant Add returned
	for m.Len() < 1000 {
		time.Sleep(time.Millisecond)
	}
	shown := m.Snapshot(nil)
	snaps = append(snaps, copyDir(t, state)) // killed mid-walk
	// Every file shown was already in the queue on disk: the walk admits a
	// batch only after the batch is recorded.
	recorded := map[string]bool{}
	us, err := ListUnfinished(snaps[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		recorded[u.Path] = true
	}
	for _, ts := range shown {
		if !recorded[ts.Path] {
			t.Fatalf("%s was shown (%v) before the queue on disk held it", ts.Path, ts.State)
		}
	}
	m.Close()
	hold()
	for i, st := range snaps {
		us, err := ListUnfinished(st)
		if err != nil {
			t.Fatal(err)
		}
		walks := 0
		for _, u := range us {
			if u.Walk {
				walks++
				if u.Path != src || u.Key != "up/" {
					t.Fatalf("walk record %+v", u)
				}
			}
		}
		if walks != 1 {
			t.Fatalf("snapshot %d: %d walk records in %d unfinished", i, walks, len(us))
		}
		s.ResetCounters()
		m2, err := NewManager(Config{Target: targetOf(s), Options: DefaultOptions(), StateDir: st, Retry: fastRetry})
		if err != nil {
			t.Fatal(err)
		}
		m2.ResumeUnfinished(us)
		waitIdle(t, m2)
		tt := m2.Totals()
		if tt.Done != n || tt.Files != n {
			t.Fatalf("snapshot %d: %+v %v", i, tt, m2.Snapshot(nil)[0].Err)
		}
		if k, puts := len(s.Keys(s.Bucket())), s.Requests(ossemu.OpPutObject); k != n || puts != n {
			t.Fatalf("snapshot %d: %d objects, %d uploads", i, k, puts)
		}
		m2.Close()
		if us, _ := ListUnfinished(st); len(us) != 0 {
			t.Fatalf("snapshot %d: still unfinished after resume: %d, e.g. %+v", i, len(us), us[0])
		}
	}
}

// A walk that a crash interrupted after some of its files were done does not send
// them again when resumed.
func TestResumedWalkSkipsDone(t *testing.T) {
	src := filepath.Join(t.TempDir(), "docs")
	for i := 0; i < 20; i++ {
		writeFile(t, src, fmt.Sprintf("f%02d.txt", i), []byte(strings.Repeat("x", i+1)))
	}
	s := newServer(t, ossemu.Options{})
	state := t.TempDir()
	m := newManager(t, s, state, nil)
	m.Add([]string{src}, "")
	waitIdle(t, m)
	// As if the walk's end had not been recorded: put its record back.
	m.mu.Lock()
	r := walkRecFor(m.tgt.destination(), src, "", cpDirFor(state, m.opts))
	m.mu.Unlock()
	m.queue.add(r)
	m.Close()
	us, _ := ListUnfinished(state)
	if len(us) != 1 || !us[0].Walk {
		t.Fatalf("%+v", us)
	}
	s.ResetCounters()
	m2 := newManager(t, s, state, nil)
	m2.ResumeUnfinished(us)
	waitIdle(t, m2)
	if got := s.Requests(ossemu.OpPutObject); got != 0 {
		t.Fatalf("%d files sent again", got)
	}
	m2.Close()
	if us, _ := ListUnfinished(state); len(us) != 0 {
		t.Fatalf("%+v", us)
	}
}

func TestUnwritableQueueDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes anywhere")
	}
	state := t.TempDir()
	os.MkdirAll(filepath.Join(state, "queue"), 0o500)
	s := newServer(t, ossemu.Options{})
	_, err := NewManager(Config{Target: targetOf(s), Options: DefaultOptions(), StateDir: state})
	if err == nil || !strings.Contains(err.Error(), "queue directory") {
		t.Fatalf("err %v", err)
	}
}

// Unreadable queue lines are reported with the file they name, and moved aside
// (kept) when the queue is compacted.
func TestCorruptQueueLines(t *testing.T) {
	state := t.TempDir()
	q := filepath.Join(state, "queue")
	os.MkdirAll(q, 0o700)
	os.WriteFile(filepath.Join(q, "1-1.jsonl"), []byte(`{"ts":1,"op":"add","id":"abc","path":"/home/u/report.txt","key":"report.txt","bucket":"b","endpoint":"http://x"`+"garbage\n"+`{"ts":2,"op":"add","id":"def","path":"/home/u/ok.txt","key":"ok.txt","bucket":"b","endpoint":"http://x"}`+"\n"), 0o600)
	us, _ := ListUnfinished(state)
	var bad, good int
	for _, u := range us {
		if u.Err != nil {
			bad++
			if u.Path != "/home/u/report.txt" || !strings.Contains(u.Err.Error(), "report.txt") {
				t.Fatalf("bad line reported as %+v", u)
			}
		} else if u.Path == "/home/u/ok.txt" {
			good++
		}
	}
	if bad != 1 || good != 1 {
		t.Fatalf("%+v", us)
	}
	if err := compactQueue(q); err != nil {
		t.Fatal(err)
	}
	aside, _ := filepath.Glob(filepath.Join(q, "unreadable-*.txt"))
	if len(aside) != 1 {
		t.Fatalf("not moved aside: %v", aside)
	}
	if b, _ := os.ReadFile(aside[0]); !strings.Contains(string(b), "report.txt") {
		t.Fatalf("moved-aside content %q", b)
	}
	us, _ = ListUnfinished(state)
	if len(us) != 1 || us[0].Err != nil {
		t.Fatalf("after compaction: %+v", us)
	}
}
