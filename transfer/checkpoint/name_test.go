package checkpoint

import (
	"strings"
	"testing"
)

// TestNameGolden pins journal names: they are found again by name after a
// restart, and queues keep the same identities, so they must never change.
// The values are the first 12 bytes of SHA-256 over the fields, each followed
// by a 0 byte, in hex, worked out independently of this package.
func TestNameGolden(t *testing.T) {
	long := strings.Repeat("x", 600) // longer than the stack buffer
	for _, c := range []struct {
		tag, endpoint, bucket, key, path, want string
	}{
		{"", "e", "b", "k", "/f", "8a19008dac0cbaf725edf413"},
		{"", "https://oss-cn-hangzhou.aliyuncs.com", "bkt", "a/b c.txt", "/home/u/a/b c.txt", "9327e4a463f463ca5d12843f"},
		{"dest:", "p1", "bkt", "a", "/x", "a3a6ce5ef178a06dc6b6cf54"},
		{"", long, "b", "k", "/p", "db4ed9af95d25c78d3816f25"},
		{"xxx", long[3:], "b", "k", "/p", "db4ed9af95d25c78d3816f25"}, // the tag starts the endpoint field
	} {
		if got := ID(c.tag, c.endpoint, c.bucket, c.key, c.path); got != c.want {
			t.Errorf("ID(%.20q, %.20q, %q, %q, %q) = %s, want %s", c.tag, c.endpoint, c.bucket, c.key, c.path, got, c.want)
		}
		if got := Name(c.tag+c.endpoint, c.bucket, c.key, c.path); got != c.want+Ext {
			t.Errorf("Name(%.20q, %q, %q, %q) = %s, want %s", c.tag+c.endpoint, c.bucket, c.key, c.path, got, c.want+Ext)
		}
	}
}

// TestIDAllocs checks that naming an upload allocates only the name itself.
func TestIDAllocs(t *testing.T) {
	for _, f := range []func(){
		func() {
			_ = ID("dest:", "0b6f2c1e-6d5a-4a54-9d7e-3f1c2b8a9e10", "bucket", "photos/2024/IMG_0001.jpg", "/home/u/photos/2024/IMG_0001.jpg")
		},
		func() {
			_ = Name("http://127.0.0.1:9", "bucket", "photos/2024/IMG_0001.jpg", "/home/u/photos/2024/IMG_0001.jpg")
		},
	} {
		if n := testing.AllocsPerRun(100, f); n != 1 {
			t.Errorf("%v allocations a name, want 1", n)
		}
	}
}

func BenchmarkID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = ID("dest:", "0b6f2c1e-6d5a-4a54-9d7e-3f1c2b8a9e10", "bucket", "photos/2024/IMG_0001.jpg", "/home/u/photos/2024/IMG_0001.jpg")
	}
}
