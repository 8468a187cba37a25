package transfer

import (
	"bytes"
	"hash/crc64"
	"io"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/ossemu"
)

// finishedLog collects what OnFinished receives.
type finishedLog struct {
	mu  sync.Mutex
	got []TaskSnapshot
}

func (l *finishedLog) add(s TaskSnapshot) {
	l.mu.Lock()
	l.got = append(l.got, s)
	l.mu.Unlock()
}

func (l *finishedLog) byPath() map[string]TaskSnapshot {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]TaskSnapshot{}
	for _, s := range l.got {
		out[s.Path] = s
	}
	return out
}

func TestOnFinishedReportsEveryEndState(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	dir := t.TempDir()
	small := randBytes(1000, 1)
	big := randBytes(3*MinPartSize+17, 2)
	pSmall := writeFile(t, dir, "small.bin", small)
	pBig := writeFile(t, dir, "big.bin", big)
	pGone := writeFile(t, dir, "gone.bin", small)

	var log finishedLog
	tgt := targetOf(s)
	tgt.Profile = "work"
	o := DefaultOptions()
	o.PartSize = MinPartSize
	o.Jobs = 1
	m, err := NewManager(Config{Target: tgt, Options: o, StateDir: t.TempDir(), Retry: fastRetry, OnFinished: log.add})
	if err != nil {
		t.Fatal(err)
	}
	// The first part upload fails once with a 500: a retry the record must count.
	s.Inject(ossemu.Fault{Match: ossemu.MatchOp(ossemu.OpUploadPart), Status: 500, Code: "InternalError", Times: 1})
	if _, err := m.AddFile(pSmall, "a/small.bin"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.AddFile(pBig, "a/big.bin"); err != nil {
		t.Fatal(err)
	}
	idGone, err := m.AddFile(pGone, "a/gone.bin")
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(pGone)
	waitIdle(t, m)
	pQueued := writeFile(t, dir, "queued.bin", small)
	idQ, err := m.AddFile(pQueued, "a/queued.bin")
	if err != nil {
		t.Fatal(err)
	}
	// Queued or already running, a cancel is an end state to record.
	if err := m.Cancel(idQ); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil { // Close waits for every delivery
		t.Fatal(err)
	}

	got := log.byPath()
	tab := crc64.MakeTable(crc64.ECMA)
	for _, c := range []struct {
		path string
		data []byte
	}{{pSmall, small}, {pBig, big}} {
		g := got[c.path]
		if g.State != Done || g.CRC64 != crc64.Checksum(c.data, tab) || g.Profile != "work" || g.Bucket != s.Bucket() || g.EndedAt.IsZero() {
			t.Errorf("%s: got %+v, want done with CRC64 %d", c.path, g, crc64.Checksum(c.data, tab))
		}
	}
	if g := got[pBig]; g.Retries != 1 {
		t.Errorf("big file: %d retries recorded, want 1", g.Retries)
	}
	if g := got[pGone]; g.State != Failed || g.ID != idGone || g.Err == nil || g.CRC64 != 0 {
		t.Errorf("deleted file: got %+v, want failed without CRC", g)
	}
	if g := got[pQueued]; g.State != Canceled {
		t.Errorf("canceled: got %+v", g)
	}
	if n := len(log.got); n != 4 {
		t.Errorf("%d deliveries, want 4: %+v", n, log.got)
	}
}

func TestObjectURLForAFinishedUpload(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	m := newManager(t, s, "", nil)
	data := randBytes(500, 9)
	id, err := m.AddFile(writeFile(t, t.TempDir(), "f.txt", data), "dir/f 1.txt")
	if err != nil {
		t.Fatal(err)
	}
	waitIdle(t, m)
	mustDone(t, m, id)
	want, _ := m.ObjectURL(id, 0)
	if got, err := ObjectURLFor(targetOf(s), "dir/f 1.txt", 0); err != nil || got != want {
		t.Fatalf("plain URL %q (%v), want %q", got, err, want)
	}
	u, err := ObjectURLFor(targetOf(s), "dir/f 1.txt", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Fatalf("presigned GET: %d, %d bytes", resp.StatusCode, len(body))
	}
}
