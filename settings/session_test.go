package settings

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/ossemu"
)

func TestSession(t *testing.T) {
	dirs := isolateXDG(t)
	srv := newEmu(t, ossemu.Options{})
	ctx := context.Background()
	s := OpenSession(ctx, SessionOptions{Getenv: noEnv, LocalBucketDir: filepath.Join(dirs[1], "lb")})
	defer s.Close()
	if s.LoadError() != nil || s.Path() != filepath.Join(dirs[0], "ossdrop", FileName) {
		t.Fatalf("open: %v %s", s.LoadError(), s.Path())
	}
	if p, ok := s.Config().Default(); !ok || !p.Local {
		t.Fatalf("first launch default %+v", p)
	}
	name := "sess-" + randomToken(6)
	t.Cleanup(func() { DeleteProfileSecrets(s.Secrets(), name); DeleteProfileSecrets(s.Secrets(), name+"-2") })
	p := Profile{Name: name, Endpoint: srv.URL, Bucket: srv.Bucket(), Transfer: DefaultTransfer()}
	if err := s.SaveProfile(p, &Credentials{AccessKeyID: srv.AccessKeyID, AccessKeySecret: srv.AccessKeySecret}); err != nil {
		t.Fatal(err)
	}
	if r := s.CheckProfile(ctx, name, 0); !r.OK() {
		t.Fatalf("check: %s", r.Message)
	}
	tg, opts, prov, err := s.Resolve(ctx, name)
	if err != nil || tg.Endpoint != srv.URL || opts.PartSize != DefaultTransfer().PartSize || tg.Credentials != prov {
		t.Fatalf("resolve: %+v %v", tg, err)
	}
	// Saved on disk at once.
	if cfg, err := NewStore("").Load(); err != nil || len(cfg.Profiles) != 2 {
		t.Fatalf("on disk: %+v %v", cfg, err)
	}

	// Invalid changes are refused and leave the settings as they were.
	bad := p
	bad.Bucket = "BAD"
	if err := s.SaveProfile(bad, nil); err == nil {
		t.Fatal("invalid profile saved")
	}
	if err := s.SetApp(App{Proxy: "ftp://x"}); err == nil {
		t.Fatal("invalid proxy saved")
	}
	if c := s.Config(); c.App.Proxy != "" || c.Profiles[1].Bucket != srv.Bucket() {
		t.Fatalf("refused change applied: %+v", c)
	}
	if err := s.SaveProfile(Profile{Name: LocalProfileName, Endpoint: "cn-hangzhou", Bucket: "abc", Transfer: DefaultTransfer()}, nil); err == nil {
		t.Fatal("Local bucket replaced by a remote profile")
	}
	if err := s.SetApp(App{ResumeOnLaunch: ResumeNever, CloseToTray: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDefault(name); err != nil {
		t.Fatal(err)
	}

	// The Local bucket starts on demand, once.
	r := s.CheckProfile(ctx, LocalProfileName, 0)
	if !r.OK() {
		t.Fatalf("local: %s", r.Message)
	}
	lb1, _ := s.LocalBucket(ctx)
	cp, err := s.CredentialsFor(LocalProfileName, "http://127.0.0.1:1")
	if err != nil || cp != lb1.Provider {
		t.Fatalf("CredentialsFor(Local) = %v, %v", cp, err)
	}
	if cp, err := s.CredentialsFor(name, srv.URL); err != nil || cp.GetCredentials().GetAccessKeySecret() != srv.AccessKeySecret {
		t.Fatalf("CredentialsFor(%s): %v", name, err)
	}
	if _, err := s.CredentialsFor("gone", "https://x"); err == nil || !strings.Contains(err.Error(), "no longer exists") {
		t.Fatalf("CredentialsFor(gone): %v", err)
	}

	// Rename moves the secret; the old entry is gone.
	if err := s.RenameProfile(name, name+"-2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Secrets().Get(SecretKey(name)); !errors.Is(err, ErrSecretNotFound) {
		t.Fatalf("old secret after rename: %v", err)
	}
	if c := s.Config(); c.DefaultProfile != name+"-2" {
		t.Fatalf("default after rename %q", c.DefaultProfile)
	}
	if r := s.CheckProfile(ctx, name+"-2", 0); !r.OK() {
		t.Fatalf("after rename: %s", r.Message)
	}

	// STS renewal through the session.
	srv.SetSecurityToken("tok", time.Now().Add(time.Hour))
	// Like OSS, the server does not know the key without its token.
	if r := s.CheckProfile(ctx, name+"-2", 0); r.Kind != ConnInvalidAccessKeyID {
		t.Fatalf("without token: %v %s", r.Kind, r.Message)
	}
	fresh, err := s.RenewCredentials(name+"-2", Credentials{AccessKeyID: srv.AccessKeyID, AccessKeySecret: srv.AccessKeySecret, SecurityToken: "tok", Expiry: time.Now().Add(time.Hour)})
	if err != nil || fresh.GetCredentials().GetSecurityToken() != "tok" {
		t.Fatalf("renew: %v", err)
	}
	if r := s.CheckProfile(ctx, name+"-2", 0); !r.OK() {
		t.Fatalf("after renewal: %s", r.Message)
	}

	if err := s.RemoveProfile(name + "-2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Secrets().Get(TokenKey(name + "-2")); !errors.Is(err, ErrSecretNotFound) {
		t.Fatalf("token after remove: %v", err)
	}
	if err := s.RemoveProfile(LocalProfileName); err == nil {
		t.Fatal("removed the Local bucket")
	}
	// A new session (next launch) sees everything that was saved.
	s2 := OpenSession(ctx, SessionOptions{Getenv: noEnv})
	if c := s2.Config(); c.App.ResumeOnLaunch != ResumeNever || !c.App.CloseToTray || len(c.Profiles) != 1 {
		t.Fatalf("next launch: %+v", c)
	}
	assertNotInFiles(t, srv.AccessKeySecret, dirs...)
}

func TestSessionBrokenSettings(t *testing.T) {
	dirs := isolateXDG(t)
	dir := filepath.Join(dirs[0], "ossdrop")
	os.MkdirAll(dir, 0o700)
	os.WriteFile(filepath.Join(dir, FileName), []byte(`{"version": 2,`), 0o600)
	s := OpenSession(context.Background(), SessionOptions{Getenv: noEnv})
	defer s.Close()
	var le *LoadError
	if !errors.As(s.LoadError(), &le) {
		t.Fatalf("LoadError = %v", s.LoadError())
	}
	if err := s.SetApp(App{Notifications: true}); err != nil {
		t.Fatal(err)
	}
	if s.LoadError() != nil {
		t.Fatal("LoadError kept after a successful save")
	}
	m, _ := filepath.Glob(filepath.Join(dir, FileName+".broken-*"))
	if len(m) != 1 {
		t.Fatalf("backups %v", m)
	}
}
