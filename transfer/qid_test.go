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
