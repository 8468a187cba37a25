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
