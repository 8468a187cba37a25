package transfer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ossdrop/ossdrop/ossemu"
)

func TestUploadSizes(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	m := newManager(t, s, "", nil)
	dir := t.TempDir()
	sizes := map[string]int{
		"empty":           0,
		"small":           1000,
		"just-below":      MinPartSize - 1,
		"one-part":        MinPartSize,
		"exact-3x":        3 * MinPartSize,
		"3x-plus-1":       3*MinPartSize + 1,
		"several-parts.b": 7*MinPartSize + 12345,
	}
	ids := map[string]TaskID{}
	data := map[string][]byte{}
	for name, n := range sizes {
		data[name] = randBytes(n, uint64(n)+1)
		p := writeFile(t, dir, name, data[name])
		id, err := m.AddFile(p, "sizes/"+name)
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = id
	}
	waitIdle(t, m)
	for name, id := range ids {
		s0 := mustDone(t, m, id)
		if s0.Done != int64(sizes[name]) || s0.Sent != int64(sizes[name]) {
			t.Errorf("%s: done %d sent %d of %d", name, s0.Done, s0.Sent, sizes[name])
		}
		mustObject(t, s, "sizes/"+name, data[name])
	}
	if n := len(s.Uploads(s.Bucket())); n != 0 {
		t.Fatalf("%d multipart uploads left on the server", n)
	}
	if ents, _ := os.ReadDir(filepath.Join(m.stateDir, "checkpoints")); len(ents) != 0 {
		t.Fatalf("checkpoints left after success: %v", ents)
	}
	tt := m.Totals()
	if tt.Done != len(sizes) || tt.Files != len(sizes) {
		t.Fatalf("totals %+v", tt)
	}
}

func TestFolderWalkAndNames(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	m := newManager(t, s, "", nil)
	root := filepath.Join(t.TempDir(), "my folder")
	names := []string{"a b.txt", "ünïcödé/файл.bin", "odd/#?%+&=.dat", "deep/x/y/z.json"}
	data := map[string][]byte{}
	for i, n := range names {
		data[n] = randBytes(1000+i*MinPartSize, uint64(i))
		writeFile(t, root, n, data[n])
	}
	// A loop back to the root and a dangling link must be reported, not followed forever.
	os.Symlink(root, filepath.Join(root, "deep", "loop"))
	os.Symlink(filepath.Join(root, "nowhere"), filepath.Join(root, "dangling"))
	m.Add([]string{root}, "up")
	waitIdle(t, m)
	var failed []string
	for _, ts := range m.Snapshot(nil) {
		switch ts.State {
		case Done:
		case Failed:
			failed = append(failed, ts.Err.Error())
		default:
			t.Errorf("%s: %s", ts.Key, ts.State)
		}
	}
	for _, n := range names {
		mustObject(t, s, "up/my folder/"+n, data[n])
	}
	all := strings.Join(failed, "\n")
	if len(failed) != 2 || !strings.Contains(all, "loop") || !strings.Contains(all, "cannot be followed") {
		t.Fatalf("want loop and dangling-link failures, got:\n%s", all)
	}
}

func TestPartSizeLimits(t *testing.T) {
	if _, err := (Options{PartSize: 1000}).normalize(); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("small part size: %v", err)
	}
	if _, err := (Options{PartSize: 6 << 30}).normalize(); err == nil {
		t.Fatal("6 GiB part size accepted")
	}
	for _, c := range []struct{ size, ps, want int64 }{
		{10 << 20, 8 << 20, 8 << 20},
		{MaxParts * (8 << 20), 8 << 20, 8 << 20},
		{MaxParts*(8<<20) + 1, 8 << 20, 9 << 20},
		{1 << 40, MinPartSize, 105 << 20},
	} {
		got, err := PartSizeFor(c.size, c.ps)
		if err != nil || got != c.want || partCount(c.size, got) > MaxParts {
			t.Errorf("PartSizeFor(%d,%d) = %d, %v; want %d", c.size, c.ps, got, err, c.want)
		}
	}
	if _, err := PartSizeFor(MaxParts*int64(MaxPartSize)+1, MinPartSize); err == nil {
		t.Fatal("a file beyond 10,000 x 5 GiB was accepted")
	}
}

// A file that would need more than 10,000 parts at the requested size: a sparse file
// keeps it cheap on disk, and the part size must grow so the upload succeeds.
func TestMoreThanMaxParts(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("uploads 1 GiB: run without -race/-short (the part-size arithmetic is covered by TestPartSizeLimits)")
	}
	s := newServer(t, ossemu.Options{})
	m := newManager(t, s, "", func(o *Options) { o.TaskNum = 8; o.Jobs = 1 })
	p := filepath.Join(t.TempDir(), "sparse.img")
	f, _ := os.Create(p)
	size := int64(MaxParts)*MinPartSize + 5 // needs 10,001 parts of 100 KiB
	f.Truncate(size)
	f.WriteAt([]byte("head"), 0)
	f.WriteAt([]byte("tail"), size-4)
	f.Close()
	id, err := m.AddFile(p, "sparse.img")
	if err != nil {
		t.Fatal(err)
	}
	waitIdle(t, m)
	mustDone(t, m, id)
	info, ok := s.Object(s.Bucket(), "sparse.img")
	if !ok || info.Size != size {
		t.Fatalf("object %+v", info)
	}
	if n := s.Requests(ossemu.OpUploadPart); n > MaxParts || n < 2 {
		t.Fatalf("%d parts uploaded", n)
	}
}

func TestWrongCredentialsFailFast(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	for _, c := range []struct {
		creds      staticCreds
		bucket     string
		code, text string
	}{
		{staticCreds{s.AccessKeyID, "wrong", ""}, "", "SignatureDoesNotMatch", "the AccessKey secret is wrong"},
		{staticCreds{"nobody", s.AccessKeySecret, ""}, "", "InvalidAccessKeyId", "AccessKey ID is not known"},
		{staticCreds{s.AccessKeyID, s.AccessKeySecret, ""}, "no-such-bucket", "NoSuchBucket", "bucket no-such-bucket does not exist at " + s.URL},
	} {
		tg := targetOf(s)
		tg.Credentials = c.creds
		if c.bucket != "" {
			tg.Bucket = c.bucket
		}
		m, err := NewManager(Config{Target: tg, Options: DefaultOptions(), StateDir: t.TempDir(), Retry: fastRetry})
		if err != nil {
			t.Fatal(err)
		}
		p := writeFile(t, t.TempDir(), "f", randBytes(3*MinPartSize, 1))
		before := s.Requests("")
		id, _ := m.AddFile(p, "f")
		waitIdle(t, m)
		ts, _ := m.Task(id)
		var te *TaskError
		if ts.State != Failed || !errors.As(ts.Err, &te) || te.Code != c.code || te.RequestID == "" || te.Status == 0 || !strings.Contains(te.Error(), c.text) {
			t.Errorf("%s: state %s err %#v", c.code, ts.State, ts.Err)
		}
		_ = before
		m.Close()
	}
}

func TestObjectURL(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	m := newManager(t, s, "", nil)
	p := writeFile(t, t.TempDir(), "u.txt", []byte("hello"))
	id, _ := m.AddFile(p, "dir/a b+c.txt")
	waitIdle(t, m)
	mustDone(t, m, id)
	u, err := m.ObjectURL(id, 0)
	if err != nil || !strings.HasPrefix(u, s.URL+"/"+s.Bucket()+"/dir/a%20b+c.txt") {
		t.Fatalf("plain url %q %v", u, err)
	}
	su, err := m.ObjectURL(id, 3600_000_000_000)
	if err != nil || !strings.Contains(su, "Signature=") {
		t.Fatalf("signed url %q %v", su, err)
	}
	_ = context.Background
}
