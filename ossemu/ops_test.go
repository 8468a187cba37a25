package ossemu

import (
	"bytes"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// Objects built from shared blobs (appends, metadata rewrites, restores)
// survive a restart with every byte and attribute, and nothing they still use
// is collected as garbage.
func TestDerivedObjectsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	s1, err := NewServer(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	b := bucketOf(t, s1)
	a1, a2 := randBytes(3000, 41), randBytes(2000, 42)
	next, err := b.AppendObject("log", bytes.NewReader(a1), 0, oss.ServerSideEncryption("AES256"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.AppendObject("log", bytes.NewReader(a2), next); err != nil {
		t.Fatal(err)
	}
	// rewrite metadata in place (copy onto itself) and tag it
	if _, err := b.CopyObject("log", "log", oss.MetadataDirective(oss.MetaReplace), oss.Meta("Stage", "two")); err != nil {
		t.Fatal(err)
	}
	if err := b.PutObjectTagging("log", oss.Tagging{Tags: []oss.Tag{{Key: "k", Value: "v"}}}); err != nil {
		t.Fatal(err)
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}

	s2 := newServer(t, Options{Dir: dir})
	b2 := bucketOf(t, s2)
	all := append(append([]byte{}, a1...), a2...)
	if got := mustRead(t, b2, "log"); !bytes.Equal(got, all) {
		t.Fatal("appended object changed across restart")
	}
	h, err := b2.GetObjectDetailedMeta("log")
	if err != nil {
		t.Fatal(err)
	}
	if h.Get("X-Oss-Meta-Stage") != "two" || h.Get("X-Oss-Server-Side-Encryption") != "AES256" || h.Get("X-Oss-Tagging-Count") != "1" ||
		h.Get("X-Oss-Object-Type") != "Appendable" || crcHeader(t, h) != crcOf(all) {
		t.Fatalf("attributes after restart: %v", h)
	}
	// appending continues where it stopped
	a3 := randBytes(100, 43)
	if _, err := b2.AppendObject("log", bytes.NewReader(a3), int64(len(all))); err != nil {
		t.Fatal(err)
	}
	all = append(all, a3...)
	if got := mustRead(t, b2, "log"); !bytes.Equal(got, all) {
		t.Fatal("append after restart")
	}
}

// Concurrent appends at the same position: exactly one wins, the others get
// PositionNotEqualToLength, and the object holds the winner's bytes once.
func TestConcurrentAppends(t *testing.T) {
	s := newServer(t, Options{})
	b := bucketOf(t, s)
	if _, err := b.AppendObject("c", bytes.NewReader([]byte("start")), 0); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for i := range n {
		wg.Go(func() {
			_, err := b.AppendObject("c", bytes.NewReader(randBytes(1000, uint64(i))), 5)
			mu.Lock()
			defer mu.Unlock()
			var se oss.ServiceError
			switch {
			case err == nil:
				wins++
			case errors.As(err, &se) && se.Code == "PositionNotEqualToLength":
				conflicts++
			default:
				t.Errorf("append %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if wins != 1 || conflicts != n-1 {
		t.Fatalf("%d appends won, %d conflicted", wins, conflicts)
	}
	info, _ := s.Object("local", "c")
	if info.Size != 1005 {
		t.Fatalf("size %d", info.Size)
	}
	if got := mustRead(t, b, "c"); int64(len(got)) != 1005 || crcOf(got) != info.CRC64 {
		t.Fatal("object body and CRC disagree")
	}
}

// Overwriting an object while it is being read must not pull blobs from
// under the reader, even when the new version shares some of them.
func TestReadersKeepSharedBlobs(t *testing.T) {
	s := newServer(t, Options{})
	b := bucketOf(t, s)
	a := randBytes(2<<20, 44)
	if _, err := b.AppendObject("o", bytes.NewReader(a), 0); err != nil {
		t.Fatal(err)
	}
	rc, err := b.GetObject("o")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	first := make([]byte, 1000)
	if _, err := rc.Read(first); err != nil {
		t.Fatal(err)
	}
	// append (shares the first blob), then delete: the reader keeps going
	if _, err := b.AppendObject("o", bytes.NewReader([]byte("more")), int64(len(a))); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteObject("o"); err != nil {
		t.Fatal(err)
	}
	var rest bytes.Buffer
	if _, err := rest.ReadFrom(rc); err != nil {
		t.Fatalf("reader lost its data: %v", err)
	}
}

func TestCreateBucketNotImplemented(t *testing.T) {
	s := newServer(t, Options{})
	c := client(t, s)
	for _, name := range []string{"newbucket", "local"} {
		err := c.CreateBucket(name)
		wantCode(t, err, 501, "NotImplemented")
	}
	// other bucket sub-resources: NoSuchBucket first, then 501
	_, err := c.GetBucketLifecycle("nobucket")
	wantCode(t, err, 404, "NoSuchBucket")
	_, err = c.GetBucketLifecycle("local")
	wantCode(t, err, 501, "NotImplemented")
}

// The requests ossutil (built on the v1 SDK) sends for stat, rm -r,
// set-meta, cp oss://→oss:// and du, under both signature versions.
func TestV1SDKOssutilOperations(t *testing.T) {
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			s := newServer(t, Options{Buckets: []string{"local", "other"}})
			c := client(t, s, v.opts...)
			b := bucketOf(t, s, v.opts...)
			data := randBytes(400<<10, 51)
			if err := b.PutObject("dir/a b+c", bytes.NewReader(data), oss.Meta("Old", "1")); err != nil {
				t.Fatal(err)
			}
			// stat: object ACL first, then the metadata
			acl, err := b.GetObjectACL("dir/a b+c")
			if err != nil || acl.ACL != "default" {
				t.Fatalf("GetObjectACL: %q %v", acl.ACL, err)
			}
			if err := b.SetObjectACL("dir/a b+c", oss.ACLPublicRead); err != nil {
				t.Fatal(err)
			}
			if acl, _ := b.GetObjectACL("dir/a b+c"); acl.ACL != "public-read" {
				t.Fatalf("ACL after set: %q", acl.ACL)
			}
			// set-meta: CopyObject onto itself with REPLACE
			if err := b.SetObjectMeta("dir/a b+c", oss.Meta("New", "2")); err != nil {
				t.Fatal(err)
			}
			h, err := b.GetObjectDetailedMeta("dir/a b+c")
			if err != nil || h.Get("X-Oss-Meta-New") != "2" || h.Get("X-Oss-Meta-Old") != "" {
				t.Fatalf("after SetObjectMeta: %v %v", h, err)
			}
			// cp oss://→oss://, small (CopyObject) and large (UploadPartCopy)
			if _, err := b.CopyObjectTo("other", "copy", "dir/a b+c"); err != nil {
				t.Fatal(err)
			}
			if err := b.CopyFile("local", "dir/a b+c", "dir/multi", 100<<10); err != nil {
				t.Fatal(err)
			}
			for _, where := range [][2]string{{"other", "copy"}, {"local", "dir/multi"}} {
				info, ok := s.Object(where[0], where[1])
				if !ok || info.CRC64 != crcOf(data) {
					t.Fatalf("%s/%s: %+v", where[0], where[1], info)
				}
			}
			// du and the bucket probes
			if loc, err := c.GetBucketLocation("local"); err != nil || loc == "" {
				t.Fatalf("GetBucketLocation: %q %v", loc, err)
			}
			st, err := c.GetBucketStat("local")
			if err != nil || st.ObjectCount != 2 || st.Storage != int64(2*len(data)) {
				t.Fatalf("GetBucketStat: %+v %v", st, err)
			}
			if bacl, err := c.GetBucketACL("local"); err != nil || bacl.ACL != "private" {
				t.Fatalf("GetBucketACL: %+v %v", bacl, err)
			}
			// rm -r: DeleteObjects with encoding-type=url, keys with space and plus
			res, err := b.DeleteObjects([]string{"dir/a b+c", "dir/multi", "dir/absent"})
			if err != nil || len(res.DeletedObjects) != 3 || res.DeletedObjects[0] != "dir/a b+c" {
				t.Fatalf("DeleteObjects: %+v %v", res, err)
			}
			res, err = b.DeleteObjects([]string{"x"}, oss.DeleteObjectsQuiet(true))
			if err != nil || len(res.DeletedObjects) != 0 {
				t.Fatalf("quiet DeleteObjects: %+v %v", res, err)
			}
			if keys := s.Keys("local"); len(keys) != 0 {
				t.Fatalf("left behind: %v", keys)
			}
		})
	}
}

// Every file the server creates is followed by an fsync of its directory, so
// a crash cannot lose a committed object's body or metadata entry.
func TestNewFilesAreFollowedByDirectorySync(t *testing.T) {
	var mu sync.Mutex
	synced := map[string]int{}
	dirSynced = func(dir string) {
		mu.Lock()
		synced[dir]++
		mu.Unlock()
	}
	t.Cleanup(func() { dirSynced = nil }) // runs after the server below is closed
	s := newServer(t, Options{})
	b := bucketOf(t, s)
	bdir := filepath.Join(s.Dir(), "buckets", "local")
	want := func(what string, dirs ...string) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		for _, d := range dirs {
			if synced[d] == 0 {
				t.Errorf("%s: directory %s never synced (synced: %v)", what, d, synced)
			}
		}
		clear(synced)
	}
	want("new bucket", bdir, filepath.Join(s.Dir(), "buckets"))

	if err := b.PutObject("k", bytes.NewReader([]byte("v"))); err != nil {
		t.Fatal(err)
	}
	meta := filepath.Dir((&bucket{dir: bdir}).metaPath("k"))
	want("PutObject", meta, filepath.Dir(meta)) // a small body is in the metadata file

	if err := b.PutObject("big", bytes.NewReader(make([]byte, inlineMax+1))); err != nil {
		t.Fatal(err)
	}
	want("PutObject of a body in data/", filepath.Join(bdir, "data"), filepath.Dir((&bucket{dir: bdir}).metaPath("big")))

	imur, err := b.InitiateMultipartUpload("m")
	if err != nil {
		t.Fatal(err)
	}
	udir := filepath.Join(bdir, "uploads", imur.UploadID)
	want("InitiateMultipartUpload", udir, filepath.Join(bdir, "uploads"))

	part, err := b.UploadPart(imur, bytes.NewReader([]byte("p")), 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	want("UploadPart", filepath.Join(bdir, "data"), udir)

	if _, err := b.CompleteMultipartUpload(imur, []oss.UploadPart{part}); err != nil {
		t.Fatal(err)
	}
	want("CompleteMultipartUpload", filepath.Dir((&bucket{dir: bdir}).metaPath("m")))

	if _, err := b.AppendObject("a", bytes.NewReader([]byte("x")), 0); err != nil {
		t.Fatal(err)
	}
	want("AppendObject", filepath.Join(bdir, "data"), filepath.Dir((&bucket{dir: bdir}).metaPath("a")))
}
