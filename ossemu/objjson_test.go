package ossemu

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// The hand-written encoder writes what json.Marshal writes, byte for byte,
// and leaves to it whatever it does not handle.
func TestAppendObjectJSON(t *testing.T) {
	base := objMeta{
		Key: "dir/a file.txt", Size: 256, ETag: "B1946AC92492D2347C6235B4D2611184", CRC64: 1<<64 - 1,
		ContentType: "text/plain; charset=utf-8", ACL: "default", StorageClass: "Standard",
		Modified: time.Date(2026, 12, 1, 1, 4, 13, 550347702, time.UTC), Type: "Normal",
		Blobs: []blobRef{{ID: "40BD0550C75D5366A2DB6CDDD8F4460C", Size: 256, Inline: true}},
	}
	cases := map[string]func(m *objMeta){
		"inline":         func(*objMeta) {},
		"in data/":       func(m *objMeta) { m.Blobs = []blobRef{{ID: "A", Size: 1}, {ID: "B", Size: 0}} },
		"no blobs":       func(m *objMeta) { m.Blobs = nil; m.Size = 0 },
		"empty blobs":    func(m *objMeta) { m.Blobs = []blobRef{} },
		"whole second":   func(m *objMeta) { m.Modified = m.Modified.Truncate(time.Second) },
		"zero time":      func(m *objMeta) { m.Modified = time.Time{} },
		"other zone":     func(m *objMeta) { m.Modified = m.Modified.In(time.FixedZone("x", 8*3600)) },
		"negative size":  func(m *objMeta) { m.Size = -1 },
		"empty strings":  func(m *objMeta) { m.Key, m.ContentType, m.ACL = "", "", "" },
		"escaped key":    func(m *objMeta) { m.Key = "a\"b\\c<d>&e\x01" },
		"unicode key":    func(m *objMeta) { m.Key = "照片/ü\u2028.jpg" },
		"invalid utf-8":  func(m *objMeta) { m.Key = "a\xffb" },
		"user metadata":  func(m *objMeta) { m.Meta = map[string]string{"x-oss-meta-a": "1"} },
		"empty metadata": func(m *objMeta) { m.Meta = map[string]string{} },
		"stored headers": func(m *objMeta) { m.Std = map[string]string{"Cache-Control": "no-cache"} },
		"tags":           func(m *objMeta) { m.Tags = []tag{{"k", "v"}} },
		"encryption":     func(m *objMeta) { m.SSE = sseSpec{Algorithm: "AES256"} },
		"restored":       func(m *objMeta) { m.RestoredUntil = m.Modified },
		"multipart":      func(m *objMeta) { m.UploadID = "ABC"; m.Type = "Multipart" },
	}
	fast := 0
	for name, change := range cases {
		m := base
		change(&m)
		want, err := json.Marshal(&m)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := appendObjectJSON([]byte("prefix"), &m)
		if !ok {
			if string(got) != "prefix" {
				t.Errorf("%s: declined but appended %q", name, got)
			}
		} else {
			fast++
			if !bytes.Equal(got, append([]byte("prefix"), want...)) {
				t.Errorf("%s:\n got %s\nwant prefix%s", name, got, want)
			}
		}
		// and an object file decodes to the same metadata and body
		var body []byte
		if ref := inlineRef(&m); ref != nil {
			body = bytes.Repeat([]byte{'\n'}, int(ref.Size)) // newlines in a body are data
		}
		file, err := encodeObject(&m, body)
		if err != nil {
			t.Fatal(err)
		}
		dm, dbody, err := decodeObject(file)
		if err != nil {
			t.Errorf("%s: decoding: %v", name, err)
			continue
		}
		var wm objMeta // json.Marshal's own round trip (it replaces invalid UTF-8)
		if err := json.Unmarshal(want, &wm); err != nil {
			t.Fatal(err)
		}
		want, _ = json.Marshal(&wm)
		if redo, _ := json.Marshal(&dm); !bytes.Equal(redo, want) || !bytes.Equal(dbody, body) {
			t.Errorf("%s: decoded %s and %d body bytes", name, redo, len(dbody))
		}
	}
	if fast < 9 {
		t.Fatalf("only %d cases took the fast path", fast)
	}
}
