package checkpoint

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func header() Header {
	return Header{Endpoint: "http://127.0.0.1:1", Bucket: "b", Key: "k", Path: "/tmp/f", Size: 300 << 10,
		PartSize: 100 << 10, UploadID: "U1", Fingerprint: "x"}
}

func TestJournalRoundTripAndTornTail(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, Name("e", "b", "k", "/f"))
	j, err := Create(p, header())
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if err := j.Append(Part{Number: i, Size: 100 << 10, ETag: `"ABC"`, CRC64: 1<<63 + uint64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
	l, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Parts) != 3 || l.Parts[2].CRC64 != 1<<63+3 || l.Torn || l.Header.UploadID != "U1" {
		t.Fatalf("loaded %+v", l)
	}
	// A crash mid-append leaves half a line: it is dropped, earlier parts survive.
	full, _ := os.ReadFile(p)
	for cut := 1; cut < 40; cut += 7 {
		torn := append(append([]byte{}, full...), []byte(`{"n":4,"size":102400,"etag":"\"ABC\"","crc64":99}`)[:cut]...)
		os.WriteFile(p, torn, 0o600)
		l, err := Load(p)
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		if len(l.Parts) != 3 || !l.Torn || l.ValidLen != int64(len(full)) {
			t.Fatalf("cut %d: parts %d torn %v len %d", cut, len(l.Parts), l.Torn, l.ValidLen)
		}
		j, err := OpenAppend(p, l.ValidLen)
		if err != nil {
			t.Fatal(err)
		}
		j.Append(Part{Number: 4, Size: 1, ETag: `"D"`})
		j.Close()
		if l, err := Load(p); err != nil || len(l.Parts) != 4 || l.Torn {
			t.Fatalf("after repair: %+v %v", l, err)
		}
		os.WriteFile(p, full, 0o600)
	}
}

func TestCorruptJournals(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.ucp")
	j, _ := Create(p, header())
	j.Append(Part{Number: 1, Size: 1, ETag: `"A"`})
	j.Append(Part{Number: 2, Size: 1, ETag: `"B"`})
	j.Close()
	good, _ := os.ReadFile(p)
	cases := map[string][]byte{
		"empty":           nil,
		"truncated head":  good[:20],
		"garbage":         []byte("\x00\x01binary junk\n"),
		"middle line bad": bytes.Replace(good, []byte(`{"n":1`), []byte(`{"n":x`), 1),
		"wrong version":   bytes.Replace(good, []byte(`"version":1`), []byte(`"version":99`), 1),
	}
	for name, data := range cases {
		os.WriteFile(p, data, 0o600)
		_, err := Load(p)
		var ce *CorruptError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: want CorruptError naming the file, got %v", name, err)
		}
	}
}

func TestFingerprintSeesMiddleEdit(t *testing.T) {
	data := bytes.Repeat([]byte("abcdefgh"), 100<<10)
	a, _ := Fingerprint(bytes.NewReader(data), int64(len(data)))
	data[len(data)/2] ^= 1
	b, _ := Fingerprint(bytes.NewReader(data), int64(len(data)))
	if a == b {
		t.Fatal("middle edit not seen")
	}
	small := []byte("tiny")
	if _, err := Fingerprint(bytes.NewReader(small), 4); err != nil {
		t.Fatal(err)
	}
	if _, err := Fingerprint(bytes.NewReader(nil), 0); err != nil {
		t.Fatal(err)
	}
}

func TestEnsureDirUnwritable(t *testing.T) {
	if os.Geteuid() == 0 {
		// root ignores permission bits; use a path under a regular file instead.
		f := filepath.Join(t.TempDir(), "file")
		os.WriteFile(f, nil, 0o600)
		if err := EnsureDir(filepath.Join(f, "sub")); err == nil {
			t.Fatal("want error for a directory under a file")
		}
		return
	}
	d := filepath.Join(t.TempDir(), "ro")
	os.Mkdir(d, 0o500)
	if err := EnsureDir(d); err == nil || !strings.Contains(err.Error(), "not writable") {
		t.Fatalf("got %v", err)
	}
}
