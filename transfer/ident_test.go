package transfer

import (
	"strings"
	"testing"
)

// TestQIDGolden pins upload identities: the durable queue and checkpoint
// names hold them across releases, so working them out faster must not change
// a byte of them.
func TestQIDGolden(t *testing.T) {
	long := strings.Repeat("dir-é/", 90) // past the hashing's stack buffer
	for _, c := range []struct {
		d         Destination
		key, path string
		want      string
	}{
		{Destination{Endpoint: "http://127.0.0.1:9", Bucket: "bench"}, "photos/2024/IMG_0001.jpg", "/home/u/photos/2024/IMG_0001.jpg", "512233bdc5387e6cc32ca372"},
		{Destination{ID: "p1", Endpoint: "http://127.0.0.1:9", Bucket: "bkt"}, "a b/ç.txt", "/tmp/a b/ç.txt", "9ca3566fc6ae8c2e752abc91"},
		{Destination{ID: "0b6f2c1e-6d5a-4a54-9d7e-3f1c2b8a9e10", Endpoint: "https://oss-cn-hangzhou.aliyuncs.com", Bucket: "b"}, long + "x", "/r/" + long + "x", "dd487ffc13f46aa55ced10cd"},
		{Destination{}, "", "", "df3f619804a92fdb4057192d"},
	} {
		if got := qidOf(c.d, c.key, c.path); got != c.want {
			t.Errorf("qidOf(%+v, %.30q, %.30q) = %s, want %s", c.d, c.key, c.path, got, c.want)
		}
	}
}

// TestRefOf checks that keyRefs tell keys apart by every field, including
// where one field ends and the next begins, and cost no allocation.
func TestRefOf(t *testing.T) {
	d := Destination{Endpoint: "http://e", Bucket: "b"}
	id := Destination{ID: "p1", Endpoint: "http://e", Bucket: "b"}
	if refOf(d, "k/x") != refOf(Destination{Endpoint: "http://e", Bucket: "b", Profile: "other"}, "k/x") {
		t.Error("a destination's profile name changed its keyRef")
	}
	refs := map[keyRef]string{}
	for name, r := range map[string]keyRef{
		"endpoint":      refOf(d, "k/x"),
		"other key":     refOf(d, "k/y"),
		"other bucket":  refOf(Destination{Endpoint: "http://e", Bucket: "c"}, "k/x"),
		"bucket+key":    refOf(Destination{Endpoint: "http://e", Bucket: "bk/"}, "x"),
		"endpoint+bkt":  refOf(Destination{Endpoint: "http://eb", Bucket: ""}, "k/x"),
		"destination":   refOf(id, "k/x"),
		"other dest id": refOf(Destination{ID: "p2", Endpoint: "http://e", Bucket: "b"}, "k/x"),
	} {
		if other, ok := refs[r]; ok {
			t.Errorf("%s and %s share keyRef %x", name, other, r)
		}
		refs[r] = name
	}
	if n := testing.AllocsPerRun(100, func() { _ = refOf(id, "photos/2024/IMG_0001.jpg") }); n != 0 {
		t.Errorf("refOf allocates %v times", n)
	}
}

func BenchmarkRefOf(b *testing.B) {
	d := Destination{ID: "0b6f2c1e-6d5a-4a54-9d7e-3f1c2b8a9e10", Bucket: "bucket"}
	for b.Loop() {
		_ = refOf(d, "photos/2024/IMG_0001.jpg")
	}
}

// TestPlaceSharesFolders checks that tasks share a folder exactly when their
// folder, key prefix, checkpoint folder and recorded destination are equal,
// whether or not the folder was the last one used, and that a folder all of
// whose tasks left is made afresh.
func TestPlaceSharesFolders(t *testing.T) {
	m := &Manager{}
	rec := &Destination{ID: "p1", Bucket: "b"}
	place := func(path, key, cpDir string, rec *Destination) *task {
		nt := &task{}
		m.placeLocked(nt, path, key, cpDir, rec)
		return nt
	}
	a1 := place("/a/x", "p/x", "/cp", nil)
	a2 := place("/a/y", "p/y", "/cp", nil)
	b := place("/b/z", "p/z", "/cp", nil)
	a3 := place("/a/w", "p/w", "/cp", nil)
	if a1.dir != a2.dir || a1.dir != a3.dir || a1.dir == b.dir || a1.dir.refs != 3 {
		t.Fatalf("folders: a1 %p a2 %p a3 %p b %p, refs %d", a1.dir, a2.dir, a3.dir, b.dir, a1.dir.refs)
	}
	// Each right after a file of a1's folder, which it must not share.
	for _, o := range []func() *task{
		func() *task { return place("/a/s", "p/s", "/cp", rec) },  // recorded by an earlier run
		func() *task { return place("/a/v", "q/v", "/cp", nil) },  // another key prefix
		func() *task { return place("/a/u", "p/u", "/cp2", nil) }, // another checkpoint folder
	} {
		if place("/a/q", "p/q", "/cp", nil).dir != a1.dir {
			t.Fatal("a file of a1's folder in another")
		}
		if o := o(); o.dir == a1.dir {
			t.Fatalf("%s shares %s's folder", o.path(), a1.path())
		}
	}
	r1 := place("/a/r", "p/r", "/cp", &Destination{ID: "p1", Bucket: "b"}) // an equal record
	if r1.dir.rec == nil || *r1.dir.rec != *rec || r1.dir.refs != 2 {
		t.Fatalf("equal records: folder %+v", r1.dir)
	}
	if len(m.dirs) != 5 {
		t.Fatalf("%d folders, want 5", len(m.dirs))
	}
	if got := a3.path(); got != "/a/w" || a3.key() != "p/w" {
		t.Fatalf("a3 is %s as %s", got, a3.key())
	}
	last := place("/a/p", "p/p", "/cp", nil) // a1's folder is the last one used
	for _, x := range []*task{a1, a2, a3, last} {
		m.unplaceLocked(x)
	}
	for range 3 { // the /a/q files
		m.unplaceLocked(&task{dir: a1.dir})
	}
	a4 := place("/a/t", "p/t", "/cp", nil)
	if a4.dir == a1.dir || a4.dir.refs != 1 || m.dirs[a4.dir.key()] != a4.dir || len(m.dirs) != 5 {
		t.Fatalf("after its tasks left, the folder is %p (was %p), refs %d, %d folders", a4.dir, a1.dir, a4.dir.refs, len(m.dirs))
	}
}
