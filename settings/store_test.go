package settings

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestStoreFirstLaunchAndRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cfg", "ossdrop")
	s := NewStore(dir)
	cfg, err := s.Load()
	if err != nil {
		t.Fatalf("missing file: %v", err)
	}
	if !reflect.DeepEqual(cfg, Defaults()) {
		t.Fatalf("first launch = %+v", cfg)
	}
	p := validProfile()
	p.STSExpiry = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	p.Callback = &Callback{URL: "https://cb.example.com", Vars: map[string]string{"x:a": "b"}}
	if err := cfg.Put(p); err != nil {
		t.Fatal(err)
	}
	cfg.App.ResumeOnLaunch = ResumeAlways
	cfg.App.CloseToTray = true
	cfg.App.Proxy = "http://proxy.example.com:3128"
	if err := s.Save(cfg); err != nil {
		t.Fatal(err)
	}
	got, err := NewStore(dir).Load()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, cfg) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, cfg)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, s.Path(): 0o600} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s mode %v, want %v", path, st.Mode().Perm(), want)
		}
	}
	// No temp files left behind.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only %s", len(ents), FileName)
	}
}

func TestStoreTightensExistingDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := NewStore(dir).Save(Defaults()); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(dir)
	if st.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v", st.Mode().Perm())
	}
}

func TestStoreRefusesInvalid(t *testing.T) {
	s := NewStore(t.TempDir())
	cfg := Defaults()
	cfg.Profiles = append(cfg.Profiles, Profile{Name: "x", Endpoint: "cn-hangzhou", Bucket: "NO"})
	err := s.Save(cfg)
	if err == nil || !strings.Contains(err.Error(), "bucket") {
		t.Fatalf("Save(invalid) = %v", err)
	}
	if _, err := os.Stat(s.Path()); !os.IsNotExist(err) {
		t.Fatal("an invalid config was written")
	}
}

func TestStoreBrokenFile(t *testing.T) {
	cases := map[string]struct {
		content string
		says    string
	}{
		"syntax":     {"{\n  \"version\": 2,\n  \"profiles\": [,]\n}", "line 3, column 17"},
		"truncated":  {`{"version": 2, "profiles": [`, "unexpected end"},
		"no version": {`{"profiles": []}`, `no "version" field`},
		"newer":      {`{"version": 99}`, "newer ossdrop (format version 99"},
		"wrong type": {`{"version": 2, "app": {"notifications": "yes"}}`, "line 1"},
		"unknown":    {`{"version": 2, "colour": "blue"}`, `unknown field "colour"`},
		"invalid":    {`{"version": 2, "profiles": [{"name": "w", "endpoint": "cn-hangzhou", "bucket": "Bad_Bucket", "transfer": {"part_size": 8388608, "task_num": 4, "jobs": 2, "on_exists": "skip"}}]}`, `bucket "Bad_Bucket"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s := NewStore(dir)
			if err := os.WriteFile(s.Path(), []byte(c.content), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := s.Load()
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("Load = %v, want *LoadError", err)
			}
			if !strings.Contains(err.Error(), s.Path()) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("message %q should name %s and say %q", err, s.Path(), c.says)
			}
			if !reflect.DeepEqual(cfg, Defaults()) {
				t.Fatalf("broken file did not give defaults: %+v", cfg)
			}
			// Loading does not touch the file.
			if data, _ := os.ReadFile(s.Path()); string(data) != c.content {
				t.Fatal("Load changed the broken file")
			}
			// Saving keeps the broken file aside, byte for byte.
			s.now = func() time.Time { return time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC) }
			if err := s.Save(cfg); err != nil {
				t.Fatal(err)
			}
			backup := s.Path() + ".broken-20260501T120000.000000000Z"
			data, err := os.ReadFile(backup)
			if err != nil || string(data) != c.content {
				t.Fatalf("backup %s: %q, %v", backup, data, err)
			}
			if _, err := NewStore(dir).Load(); err != nil {
				t.Fatalf("after save: %v", err)
			}
		})
	}
}

const v1Sample = `{
  "version": 1,
  "default": "work",
  "resume_on_launch": true,
  "notify": false,
  "proxy": "http://proxy.example.com:8080",
  "profiles": {
    "work": {"endpoint": "cn-hangzhou", "bucket": "work-bucket", "prefix": "inbox/",
             "access_key_id": "LTAIwork", "part_size": "16MiB", "parallel": 8, "skip_existing": true},
    "archive": {"endpoint": "https://oss-cn-beijing.aliyuncs.com", "bucket": "cold-archive",
                "sign_v4": true, "region": "cn-beijing", "acl": "private", "checkpoint": false}
  }
}`

func TestMigrateV1(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(dir)
	if err := os.WriteFile(s.Path(), []byte(v1Sample), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Version != CurrentVersion || cfg.DefaultProfile != "work" {
		t.Fatalf("version %d default %q", cfg.Version, cfg.DefaultProfile)
	}
	if cfg.App != (App{ResumeOnLaunch: ResumeAlways, Notifications: false, Proxy: "http://proxy.example.com:8080"}) {
		t.Fatalf("app = %+v", cfg.App)
	}
	names := []string{}
	for _, p := range cfg.Profiles {
		names = append(names, p.Name)
	}
	if !reflect.DeepEqual(names, []string{LocalProfileName, "archive", "work"}) {
		t.Fatalf("profiles %v", names)
	}
	w, _ := cfg.Profile("work")
	if w.Transfer.PartSize != 16<<20 || w.Transfer.TaskNum != 8 || w.Transfer.OnExists != "skip" || !w.Transfer.Checkpoint ||
		w.Prefix != "inbox/" || w.AccessKeyID != "LTAIwork" || w.Endpoint != "cn-hangzhou" {
		t.Fatalf("work = %+v", w)
	}
	a, _ := cfg.Profile("archive")
	if !a.SignatureV4 || a.Region != "cn-beijing" || a.ACL != "private" || a.Transfer.Checkpoint || a.Transfer.PartSize != DefaultTransfer().PartSize {
		t.Fatalf("archive = %+v", a)
	}
	// The file stays v1 until saved; saving writes v2 and keeps a v1 copy.
	if data, _ := os.ReadFile(s.Path()); string(data) != v1Sample {
		t.Fatal("Load rewrote the file")
	}
	if err := s.Save(cfg); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(s.Path() + ".v1.bak"); string(data) != v1Sample {
		t.Fatal("no v1 backup")
	}
	var head struct{ Version int }
	data, _ := os.ReadFile(s.Path())
	if err := json.Unmarshal(data, &head); err != nil || head.Version != 2 {
		t.Fatalf("saved version %d, %v", head.Version, err)
	}
	again, err := s.Load()
	if err != nil || !reflect.DeepEqual(again, cfg) {
		t.Fatalf("reload after migration: %v\n%+v\n%+v", err, again, cfg)
	}
}

func TestMigrateV1Errors(t *testing.T) {
	cases := map[string]string{
		`{"version": 1, "profiles": {"w": {"endpoint": "cn-hangzhou", "bucket": "abc", "part_size": "lots"}}}`: `migrating from format version 1: profile "w": part_size "lots"`,
		`{"version": 1, "profiles": {"Local bucket": {"endpoint": "cn-hangzhou", "bucket": "abc"}}}`:           "reserved",
		`{"version": 1, "profiles": {"w": {"endpoint": "cn-hangzhou", "bucket": "abc", "parallel": 1000}}}`:    "TaskNum",
		`{"version": 1, "profiles": {"w": {"endpoint": "cn-hangzhou", "bucket": "abc", "colour": "x"}}}`:       `unknown field "colour"`,
	}
	for content, says := range cases {
		s := NewStore(t.TempDir())
		os.WriteFile(s.Path(), []byte(content), 0o600)
		_, err := s.Load()
		if err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("%s: %v, want %q", content, err, says)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(v1Sample))
	f.Add([]byte(`{"version": 2}`))
	f.Add([]byte(`{"version": 1, "profiles": {"w": {"bucket": "abc", "part_size": "1"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, _, err := decode(data)
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("decode accepted an invalid config: %v", err)
		}
	})
}
