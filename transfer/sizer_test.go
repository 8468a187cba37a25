package transfer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/ossemu"
)

// A walk that leaves sizes for later queues regular files unsized and still
// reads what it must follow (a link), on both walks.
func TestWalkListsRegularFilesUnsized(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "a.txt", []byte("aaa"))
	writeFile(t, root, "sub/b.txt", []byte("bbbbb"))
	if err := os.Symlink(filepath.Join(root, "a.txt"), filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	walkBoth(t, func(t *testing.T) {
		for _, later := range []bool{false, true} {
			w := collector()
			w.sizeLater = later
			w.walkDir(root, "k/", nil)
			got := map[string]int64{}
			for _, it := range w.batch {
				if it.te != nil {
					t.Fatalf("%s: %v", it.key, it.te)
				}
				got[it.key] = it.size
			}
			want := map[string]int64{"k/a.txt": 3, "k/sub/b.txt": 5, "k/link": 3}
			if later {
				want["k/a.txt"], want["k/sub/b.txt"] = unsized, unsized
			}
			if len(got) != len(want) {
				t.Fatalf("sizeLater=%v: got %v, want %v", later, got, want)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("sizeLater=%v: %s has size %d, want %d", later, k, got[k], v)
				}
			}
		}
	})
}

// A dropped folder's files are listed first and sized after, and then the
// rows and the sums carry every size.
func TestDroppedFolderGetsItsSizes(t *testing.T) {
	root := t.TempDir()
	var sum int64
	for i, name := range []string{"a", "b/c", "b/d/e", "f"} {
		body := strings.Repeat("x", 10*i+1)
		writeFile(t, root, name, []byte(body))
		sum += int64(len(body))
	}
	srv := newServer(t, ossemu.Options{})
	// One upload at a time, held at the server: the other files wait queued,
	// and only the sizer can read their sizes.
	defer srv.Inject(ossemu.Fault{Match: ossemu.MatchOp("PutObject", "InitiateMultipartUpload"), Delay: time.Hour})()
	m := newManager(t, srv, "", func(o *Options) { o.Jobs = 1 })
	m.Add([]string{root}, "")
	deadline := time.Now().Add(30 * time.Second)
	for tt := m.Totals(); tt.Files != 4 || tt.Sizing != 0 || tt.Queued != 3; tt = m.Totals() {
		if time.Now().After(deadline) {
			t.Fatalf("sizes never read: %+v", tt)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if tt := m.Totals(); tt.Bytes != sum {
		t.Fatalf("totals %+v, want %d bytes", tt, sum)
	}
	for _, s := range m.Snapshot(nil) {
		st, err := os.Stat(s.Path)
		if err != nil || s.Size != st.Size() {
			t.Errorf("%s: size %d, file %v %v", s.Path, s.Size, st, err)
		}
	}
}

// sizeQueued sizes what it can, leaves a file it cannot read unsized for its
// upload to report, and the sums say so meanwhile.
func TestSizeQueuedLeavesUnreadableFileToItsUpload(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.txt", []byte("aaa"))
	b := writeFile(t, dir, "b.txt", []byte("bbbbb"))
	gone := filepath.Join(dir, "gone.txt")
	srv := newServer(t, ossemu.Options{})
	m := newManager(t, srv, "", nil)
	var first TaskID
	m.mu.Lock()
	for _, p := range []string{a, b, gone} {
		key := "k/" + filepath.Base(p)
		// Listed and held, never started: only sizeQueued reads its size.
		task := m.newTaskQIDLocked(p, key, qidFor(m.tgt, key, p), m.tgt, nil, unsized, "")
		m.setStateLocked(task, Paused)
		if first == 0 {
			first = task.id
		}
	}
	m.mu.Unlock()
	if tt := m.Totals(); tt.Sizing != 3 || tt.Bytes != 0 {
		t.Fatalf("before sizing: %+v", tt)
	}
	m.sizeQueued(first)
	if tt := m.Totals(); tt.Sizing != 1 || tt.Bytes != 8 {
		t.Fatalf("after sizing: %+v", tt)
	}
	m.ResumeAll()
	waitIdle(t, m)
	for _, s := range m.Snapshot(nil) {
		switch s.Path {
		case gone:
			if s.State != Failed || s.Err == nil || !strings.Contains(s.Err.Message, "cannot read "+gone) {
				t.Errorf("%s: %v %v", s.Path, s.State, s.Err)
			}
		default:
			if s.State != Done {
				t.Errorf("%s: %v %v", s.Path, s.State, s.Err)
			}
		}
	}
	if tt := m.Totals(); tt.Sizing != 0 || tt.Bytes != 8 || tt.Done != 2 || tt.Failed != 1 {
		t.Fatalf("at the end: %+v", tt)
	}
}
