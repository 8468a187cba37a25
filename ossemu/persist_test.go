package ossemu

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

func TestRestartKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	s1, err := NewServer(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	addr := s1.Addr()
	b := bucketOf(t, s1)
	small := randBytes(5000, 31)
	if err := b.PutObject("plain", bytes.NewReader(small), oss.Meta("K", "v"), oss.ContentType("text/x-test")); err != nil {
		t.Fatal(err)
	}
	if err := b.PutObject("gone", bytes.NewReader(small)); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteObject("gone"); err != nil {
		t.Fatal(err)
	}
	// a half-done multipart upload
	imur, err := b.InitiateMultipartUpload("half", oss.Meta("Stage", "one"))
	if err != nil {
		t.Fatal(err)
	}
	p1 := randBytes(200_000, 32)
	up1, err := b.UploadPart(imur, bytes.NewReader(p1), int64(len(p1)), 1)
	if err != nil {
		t.Fatal(err)
	}
	id, secret := s1.AccessKeyID, s1.AccessKeySecret
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s1.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	// same directory, same address: generated credentials are reused
	s2 := newServer(t, Options{Dir: dir, Addr: addr})
	if s2.URL != s1.URL || s2.AccessKeyID != id || s2.AccessKeySecret != secret {
		t.Fatalf("restart: url %s→%s, credentials changed: %v", s1.URL, s2.URL, s2.AccessKeyID != id)
	}
	b2 := bucketOf(t, s2)
	if got := mustRead(t, b2, "plain"); !bytes.Equal(got, small) {
		t.Fatal("object body changed across restart")
	}
	meta, err := b2.GetObjectDetailedMeta("plain")
	if err != nil || meta.Get("X-Oss-Meta-K") != "v" || meta.Get("Content-Type") != "text/x-test" || crcHeader(t, meta) != crcOf(small) {
		t.Fatalf("metadata after restart: %v %v", meta, err)
	}
	if ok, _ := b2.IsObjectExist("gone"); ok {
		t.Fatal("deleted object came back")
	}
	lp, err := b2.ListUploadedParts(imur)
	if err != nil || len(lp.UploadedParts) != 1 || lp.UploadedParts[0].ETag != up1.ETag {
		t.Fatalf("parts after restart: %+v %v", lp, err)
	}
	// finish the upload on the new server
	p2 := randBytes(1000, 33)
	up2, err := b2.UploadPart(imur, bytes.NewReader(p2), int64(len(p2)), 2)
	if err != nil {
		t.Fatal(err)
	}
	res, err := b2.CompleteMultipartUpload(imur, []oss.UploadPart{up1, up2})
	if err != nil {
		t.Fatal(err)
	}
	all := append(append([]byte{}, p1...), p2...)
	if got := mustRead(t, b2, "half"); !bytes.Equal(got, all) || res.ETag != multipartETag(p1, p2) {
		t.Fatal("completed object differs")
	}
	info, _ := s2.Object("", "half")
	if info.CRC64 != crcOf(all) || info.Meta["x-oss-meta-stage"] != "one" {
		t.Fatalf("info %+v", info)
	}
}

// TestCrashLeftovers simulates what a killed server leaves behind: temporary
// metadata files, blobs nobody references, and an upload directory without
// its upload.json. A new server must clean them and serve only whole objects.
func TestCrashLeftovers(t *testing.T) {
	dir := t.TempDir()
	s1, err := NewServer(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	b := bucketOf(t, s1)
	if err := b.PutObject("keep", strings.NewReader("kept")); err != nil {
		t.Fatal(err)
	}
	s1.Close()
	bd := filepath.Join(dir, "buckets", "local")
	os.WriteFile(filepath.Join(bd, "data", "ORPHANBLOB"), []byte("torn"), 0o600)
	os.WriteFile(filepath.Join(bd, "objects", "half.json.tmp-123"), []byte("{"), 0o600)
	os.MkdirAll(filepath.Join(bd, "uploads", "BROKEN"), 0o700)

	s2 := newServer(t, Options{Dir: dir})
	if _, err := os.Stat(filepath.Join(bd, "data", "ORPHANBLOB")); !os.IsNotExist(err) {
		t.Error("orphan blob not removed")
	}
	if _, err := os.Stat(filepath.Join(bd, "uploads", "BROKEN")); !os.IsNotExist(err) {
		t.Error("broken upload not removed")
	}
	if keys := s2.Keys(""); len(keys) != 1 || keys[0] != "keep" {
		t.Fatalf("keys %q", keys)
	}
	if got, err := s2.ReadObject("", "keep"); err != nil || string(got) != "kept" {
		t.Fatalf("keep: %q %v", got, err)
	}
}

func TestOverwriteFreesOldData(t *testing.T) {
	s := newServer(t, Options{})
	b := bucketOf(t, s)
	const big = inlineMax + 1 // stored in data/
	for i := range 5 {
		if err := b.PutObject("k", bytes.NewReader(randBytes(big, uint64(i)))); err != nil {
			t.Fatal(err)
		}
	}
	blobs := func() int {
		n := 0
		filepath.WalkDir(filepath.Join(s.Dir(), "buckets", "local", "data"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				n++
			}
			return nil
		})
		return n
	}
	if n := blobs(); n != 1 {
		t.Fatalf("%d blobs on disk for one object", n)
	}
	// a reader opened before an overwrite keeps its version, in data/ or inline
	rc, _, err := s.OpenObject("", "k")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.PutObject("k", strings.NewReader("new")); err != nil {
		t.Fatal(err)
	}
	rc2, _, err := s.OpenObject("", "k")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.PutObject("k", bytes.NewReader(randBytes(big, 9))); err != nil {
		t.Fatal(err)
	}
	old, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(old, randBytes(big, 4)) {
		t.Fatalf("pinned reader of a body in data/: %d bytes, %v", len(old), err)
	}
	rc.Close()
	if got, err := io.ReadAll(rc2); err != nil || string(got) != "new" {
		t.Fatalf("pinned reader of an inline body: %q, %v", got, err)
	}
	rc2.Close()
	if n := blobs(); n != 1 {
		t.Fatalf("%d blobs on disk for one object after overwrites", n)
	}
	if err := b.PutObject("k", strings.NewReader("small again")); err != nil {
		t.Fatal(err)
	}
	if n := blobs(); n != 0 {
		t.Fatalf("%d blobs on disk for one inline object", n)
	}
}

// A small body lives in its object's metadata file: metadata changes, copies
// and a kill keep it, and a file cut short is not taken for an object.
func TestInlineBodies(t *testing.T) {
	dir := t.TempDir()
	s1, err := NewServer(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	b := bucketOf(t, s1)
	bodies := map[string][]byte{"a": randBytes(300, 1), "empty": {}, "max": randBytes(inlineMax, 2), "cut": randBytes(100, 3)}
	for k, v := range bodies {
		if err := b.PutObject(k, bytes.NewReader(v)); err != nil {
			t.Fatal(err)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "buckets", "local", "data")); len(ents) != 0 {
		t.Fatalf("%d blobs in data/ for inline objects", len(ents))
	}
	if err := b.PutObjectTagging("a", oss.Tagging{Tags: []oss.Tag{{Key: "t", Value: "1"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CopyObject("a", "a", oss.MetadataDirective(oss.MetaReplace), oss.Meta("New", "yes")); err != nil {
		t.Fatal(err)
	}
	if err := b.SetObjectACL("a", oss.ACLPublicRead); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CopyObject("a", "copy", oss.Meta("New", "no")); err != nil {
		t.Fatal(err)
	}
	bodies["copy"] = bodies["a"]
	if err := s1.Kill(); err != nil {
		t.Fatal(err)
	}
	cut := (&bucket{dir: filepath.Join(dir, "buckets", "local")}).metaPath("cut")
	st, err := os.Stat(cut)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(cut, st.Size()-1); err != nil {
		t.Fatal(err)
	}
	delete(bodies, "cut")

	s2 := newServer(t, Options{Dir: dir})
	b2 := bucketOf(t, s2)
	for k, v := range bodies {
		if got := mustRead(t, b2, k); !bytes.Equal(got, v) {
			t.Errorf("%s: %d bytes read back, want %d", k, len(got), len(v))
		}
		h, err := b2.GetObjectDetailedMeta(k)
		if err != nil {
			t.Fatal(err)
		}
		if crcHeader(t, h) != crcOf(v) {
			t.Errorf("%s: CRC64 header differs from the body's", k)
		}
	}
	h, err := b2.GetObjectDetailedMeta("a")
	if err != nil {
		t.Fatal(err)
	}
	if h.Get("x-oss-meta-new") != "yes" || h.Get("x-oss-object-acl") != "public-read" || h.Get("x-oss-tagging-count") != "1" {
		t.Fatalf("metadata changes lost: %v", h)
	}
	if _, ok := s2.Object("", "cut"); ok {
		t.Fatal("an object file cut short was loaded")
	}
}

// Object directories are kept open; one removed behind the server's back is
// made again, not written into through a handle to the removed one.
func TestObjectDirectoryRemoved(t *testing.T) {
	s := newServer(t, Options{})
	b := bucketOf(t, s)
	if err := b.PutObject("k", strings.NewReader("one")); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir((&bucket{dir: filepath.Join(s.Dir(), "buckets", "local")}).metaPath("k"))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := b.PutObject("k", strings.NewReader("two")); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, b, "k"); string(got) != "two" {
		t.Fatalf("read %q", got)
	}
	if _, err := os.Stat((&bucket{dir: filepath.Join(s.Dir(), "buckets", "local")}).metaPath("k")); err != nil {
		t.Fatalf("object file not in the made-again directory: %v", err)
	}
}

func TestParallelUploads(t *testing.T) {
	s := newServer(t, Options{})
	b := bucketOf(t, s)
	var wg sync.WaitGroup
	const workers = 6
	datas := make([][]byte, workers)
	for w := range workers {
		datas[w] = randBytes(250_000+w*1000, uint64(100+w))
		wg.Go(func() {
			key := "par/" + string(rune('a'+w))
			imur, err := b.InitiateMultipartUpload(key)
			if err != nil {
				t.Error(err)
				return
			}
			d := datas[w]
			var parts []oss.UploadPart
			var pm sync.Mutex
			var pw sync.WaitGroup
			for i, off := 0, 0; off < len(d); i, off = i+1, off+100*1024 {
				end := min(off+100*1024, len(d))
				pw.Go(func() {
					p, err := b.UploadPart(imur, bytes.NewReader(d[off:end]), int64(end-off), i+1)
					if err != nil {
						t.Error(err)
						return
					}
					pm.Lock()
					parts = append(parts, p)
					pm.Unlock()
				})
			}
			pw.Wait()
			if _, err := b.CompleteMultipartUpload(imur, parts); err != nil {
				t.Error(err)
			}
			// and concurrent small puts on one shared key
			if err := b.PutObject("shared", bytes.NewReader(d[:1000])); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for w := range workers {
		info, ok := s.Object("", "par/"+string(rune('a'+w)))
		if !ok || info.CRC64 != crcOf(datas[w]) {
			t.Errorf("worker %d: %+v", w, info)
		}
	}
	got, err := s.ReadObject("", "shared")
	if err != nil || len(got) != 1000 {
		t.Fatalf("shared: %v", err)
	}
}

// TestKillMidUpload: a server killed while a part is streaming keeps the
// parts already acknowledged and none of the cut one; a new server on the
// same address and directory carries on.
func TestKillMidUpload(t *testing.T) {
	dir := t.TempDir()
	s1, err := NewServer(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	b := bucketOf(t, s1)
	imur, _ := b.InitiateMultipartUpload("k")
	p1 := randBytes(200_000, 61)
	up1, err := b.UploadPart(imur, bytes.NewReader(p1), int64(len(p1)), 1)
	if err != nil {
		t.Fatal(err)
	}
	s1.Inject(Fault{Match: MatchPart(2), Bandwidth: 100_000})
	errc := make(chan error, 1)
	go func() {
		p2 := randBytes(1_000_000, 62)
		_, err := b.UploadPart(imur, bytes.NewReader(p2), int64(len(p2)), 2)
		errc <- err
	}()
	for s1.BytesReceived(OpUploadPart) < 250_000 {
		time.Sleep(10 * time.Millisecond)
	}
	if err := s1.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err == nil {
		t.Fatal("the part being sent during the kill succeeded")
	}
	s2 := newServer(t, Options{Dir: dir, Addr: s1.Addr()})
	ups := s2.Uploads("")
	if len(ups) != 1 || len(ups[0].Parts) != 1 || ups[0].Parts[0].Number != 1 || ups[0].Parts[0].ETag != up1.ETag {
		t.Fatalf("uploads after restart: %+v", ups)
	}
	if _, err := b.CompleteMultipartUpload(imur, []oss.UploadPart{up1}); err != nil {
		t.Fatalf("complete on the restarted server (same client): %v", err)
	}
	if got, _ := s2.ReadObject("", "k"); !bytes.Equal(got, p1) {
		t.Fatal("object differs")
	}
}

// TestBlobsReader reads and seeks across blob boundaries, including empty
// blobs, and compares with the concatenation.
func TestBlobsReader(t *testing.T) {
	dir := t.TempDir()
	b, err := openBucket(dir, "local", nil)
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	var refs []blobRef
	for i, n := range []int{0, 5, 0, 0, 7, 1, 0, 13, 0} {
		data := randBytes(n, uint64(i))
		res, err := b.writeBlob(bytes.NewReader(data), int64(n))
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, blobRef{ID: res.ID, Size: res.Size})
		all = append(all, data...)
	}
	m := objMeta{Size: int64(len(all)), Blobs: refs}
	for start := 0; start <= len(all); start++ {
		for _, bufSize := range []int{1, 2, 3, 64} {
			r := b.openBody(&pin{object: &object{meta: m}})
			if _, err := r.Seek(int64(start), io.SeekStart); err != nil {
				t.Fatal(err)
			}
			var got []byte
			buf := make([]byte, bufSize)
			for {
				n, err := r.Read(buf)
				got = append(got, buf[:n]...)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			r.Close()
			if !bytes.Equal(got, all[start:]) {
				t.Fatalf("from %d with %d-byte reads: got %d bytes", start, bufSize, len(got))
			}
		}
	}
}
