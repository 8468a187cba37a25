package fileio

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenReadWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a")
	f, err := OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); !errors.Is(err, os.ErrExist) {
		t.Fatalf("O_EXCL on an existing file: %v", err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode())
	}
	r, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil || string(b) != "hello" {
		t.Fatalf("read %q, %v", b, err)
	}
	buf := make([]byte, 3)
	if n, err := r.ReadAt(buf, 2); n != 3 || string(buf) != "llo" {
		t.Fatalf("ReadAt: %d %q %v", n, buf, err)
	}
	if _, err := Open(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestCreateTemp(t *testing.T) {
	dir := t.TempDir()
	seen := map[string]bool{}
	for range 50 {
		f, err := CreateTemp(dir, "x.json.tmp-*")
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f.Name())
		if !strings.HasPrefix(name, "x.json.tmp-") || seen[name] || filepath.Dir(f.Name()) != dir {
			t.Fatalf("bad or repeated name %q", f.Name())
		}
		seen[name] = true
		st, _ := f.Stat()
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v", st.Mode())
		}
		f.Close()
	}
	if _, err := CreateTemp(dir, "a/b*"); err == nil {
		t.Fatal("a pattern with a separator was accepted")
	}
}

// Rename replaces a file atomically and names both paths when it fails.
func TestRename(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.WriteFile(a, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Rename(a, b); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(b); string(got) != "new" {
		t.Fatalf("b holds %q after the rename", got)
	}
	if _, err := os.Stat(a); !os.IsNotExist(err) {
		t.Fatalf("a still there: %v", err)
	}
	err := Rename(a, b)
	var le *os.LinkError
	if !errors.As(err, &le) || le.Old != a || le.New != b || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("renaming a missing file: %v", err)
	}
}
