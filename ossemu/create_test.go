package ossemu

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// A new small object's file is created under its final name. Another commit
// of the same key between that create and its commit replaces the file; the
// first upload then comes second: its object is the one kept, or, with
// x-oss-forbid-overwrite, it fails as it would have behind the other.
func TestNewObjectReplacedWhileCreated(t *testing.T) {
	dir := t.TempDir()
	s1, err := NewServer(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	b := bucketOf(t, s1)
	var once sync.Map
	var inner error
	fileCreated = func(key string) {
		if _, done := once.LoadOrStore(key, true); done {
			return
		}
		switch key {
		case "plain":
			inner = b.PutObject(key, strings.NewReader("second"))
		case "forbid":
			inner = b.PutObject(key, strings.NewReader("second"), oss.ForbidOverWrite(true))
		}
	}
	defer func() { fileCreated = nil }()

	if err := b.PutObject("plain", strings.NewReader("first")); err != nil {
		t.Fatal(err)
	}
	if inner != nil {
		t.Fatal(inner)
	}
	if got := mustRead(t, b, "plain"); string(got) != "first" {
		t.Fatalf("plain: %q, want the upload that committed last", got)
	}
	wantCode(t, b.PutObject("forbid", strings.NewReader("first"), oss.ForbidOverWrite(true)), 409, "FileAlreadyExists")
	if inner != nil {
		t.Fatal(inner)
	}
	if got := mustRead(t, b, "forbid"); string(got) != "second" {
		t.Fatalf("forbid: %q, want the upload that committed first", got)
	}
	fileCreated = nil
	if err := s1.Kill(); err != nil {
		t.Fatal(err)
	}
	s2 := newServer(t, Options{Dir: dir})
	for key, want := range map[string]string{"plain": "first", "forbid": "second"} {
		if got, err := s2.ReadObject("", key); err != nil || string(got) != want {
			t.Errorf("%s after a restart: %q %v, want %q", key, got, err, want)
		}
	}
}

// What a crash can leave of a file created under its final name: an empty
// file is removed at the next start, one whose body does not match its CRC64
// is not loaded, and a new upload of either key replaces it.
func TestCreateLeftovers(t *testing.T) {
	dir := t.TempDir()
	s1, err := NewServer(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	b := bucketOf(t, s1)
	for _, k := range []string{"kept", "flipped"} {
		if err := b.PutObject(k, strings.NewReader("body of "+k)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s1.Kill(); err != nil {
		t.Fatal(err)
	}
	bk := &bucket{dir: filepath.Join(dir, "buckets", "local")}
	flipped := bk.metaPath("flipped")
	data, err := os.ReadFile(flipped)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-1] ^= 1 // same length, one bit of the body changed
	if err := os.WriteFile(flipped, data, 0o600); err != nil {
		t.Fatal(err)
	}
	empty := bk.metaPath("empty")
	if err := os.MkdirAll(filepath.Dir(empty), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	s2 := newServer(t, Options{Dir: dir})
	if _, err := os.Stat(empty); !os.IsNotExist(err) {
		t.Errorf("empty object file not removed: %v", err)
	}
	if keys := s2.Keys(""); len(keys) != 1 || keys[0] != "kept" {
		t.Fatalf("keys %q, want only kept", keys)
	}
	b2 := bucketOf(t, s2)
	for _, k := range []string{"flipped", "empty"} {
		if err := b2.PutObject(k, strings.NewReader("new "+k)); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if got := mustRead(t, b2, k); string(got) != "new "+k {
			t.Fatalf("%s: %q", k, got)
		}
	}
}

// Uploads racing on the same new keys each end with one of them stored whole,
// and a restart finds the same objects.
func TestConcurrentNewKeys(t *testing.T) {
	dir := t.TempDir()
	s1, err := NewServer(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	b := bucketOf(t, s1)
	const workers, keys = 6, 20
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for k := range keys {
				body := fmt.Sprintf("key %d from worker %d", k, w)
				if err := b.PutObject(fmt.Sprint("race/", k), strings.NewReader(body)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	stored := map[string][]byte{}
	for k := range keys {
		key := fmt.Sprint("race/", k)
		got := mustRead(t, b, key)
		if !bytes.HasPrefix(got, fmt.Appendf(nil, "key %d from worker ", k)) {
			t.Fatalf("%s: %q", key, got)
		}
		if info, _ := s1.Object("", key); info.CRC64 != crcOf(got) {
			t.Fatalf("%s: CRC64 %d does not match %q", key, info.CRC64, got)
		}
		stored[key] = got
	}
	if err := s1.Kill(); err != nil {
		t.Fatal(err)
	}
	s2 := newServer(t, Options{Dir: dir})
	for key, want := range stored {
		if got, err := s2.ReadObject("", key); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s after a restart: %q %v, want %q", key, got, err, want)
		}
	}
}
