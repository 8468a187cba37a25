package settings

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/adrg/xdg"
)

// randomSecret returns a value that cannot appear in any file by chance.
func randomSecret(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "s3cr3t-" + hex.EncodeToString(b)
}

// isolateXDG points every XDG directory at a fresh temp dir and returns them.
func isolateXDG(t *testing.T) []string {
	root := t.TempDir()
	var dirs []string
	for _, v := range []string{"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"} {
		d := filepath.Join(root, strings.ToLower(strings.TrimPrefix(v, "XDG_")))
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		t.Setenv(v, d)
		dirs = append(dirs, d)
	}
	xdg.Reload()
	t.Cleanup(xdg.Reload)
	return dirs
}

// requireKeyring skips when no Secret Service is reachable, unless
// OSSDROP_REQUIRE_KEYRING=1 (CI), where that is a failure.
func requireKeyring(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := KeyringAvailable(ctx); err != nil {
		if os.Getenv("OSSDROP_REQUIRE_KEYRING") == "1" {
			t.Fatalf("OSSDROP_REQUIRE_KEYRING=1 but %v", err)
		}
		t.Skipf("no Secret Service: %v (run under dbus-run-session with gnome-keyring-daemon; see settings/README)", err)
	}
}

// assertNotInFiles fails if secret occurs in any file under dirs.
func assertNotInFiles(t *testing.T, secret string, dirs ...string) int {
	t.Helper()
	n := 0
	for _, d := range dirs {
		filepath.WalkDir(d, func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			n++
			data, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("reading %s: %v", path, err)
				return nil
			}
			if bytes.Contains(data, []byte(secret)) {
				t.Errorf("the secret appears in %s", path)
			}
			return nil
		})
	}
	return n
}

func TestKeyringStoreRoundTrip(t *testing.T) {
	requireKeyring(t)
	dirs := isolateXDG(t)
	ctx := context.Background()
	secrets := OpenSecretStore(ctx, SecretOptions{})
	if st := secrets.State(); st.Backend != BackendKeyring || !st.Persistent || st.Reason != "" {
		t.Fatalf("state = %+v", st)
	}
	name := "keyring-test-" + randomSecret(t)[7:15]
	secret, token := randomSecret(t), randomSecret(t)
	t.Cleanup(func() { DeleteProfileSecrets(secrets, name) })

	store := NewStore("") // DefaultDir() now lies in the temp XDG_CONFIG_HOME
	cfg, err := store.Load()
	if err != nil {
		t.Fatal(err)
	}
	p := validProfile()
	p.Name = name
	if err := cfg.Put(p); err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour).Truncate(time.Second).UTC()
	prov, err := SaveCredentials(&cfg, name, secrets, Credentials{AccessKeyID: "STS.id", AccessKeySecret: secret, SecurityToken: token, Expiry: exp})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Save(cfg); err != nil {
		t.Fatal(err)
	}
	if got := prov.GetCredentials(); got.GetAccessKeySecret() != secret || got.GetSecurityToken() != token {
		t.Fatal("provider does not serve the saved credentials")
	}

	// Read back through a fresh store and fresh settings, as a new launch would.
	cfg2, err := NewStore("").Load()
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := cfg2.Profile(name)
	c, src, err := LoadCredentials(p2, OpenSecretStore(ctx, SecretOptions{}), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessKeySecret != secret || c.SecurityToken != token || c.AccessKeyID != "STS.id" || !c.Expiry.Equal(exp) || src != SourceStored {
		t.Fatalf("read back %v from %s", c, src)
	}

	// Log the credentials and an error about them the way the app would.
	logPath := filepath.Join(dirs[2], "ossdrop", "ossdrop.log")
	os.MkdirAll(filepath.Dir(logPath), 0o700)
	lf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	lg := slog.New(slog.NewTextHandler(lf, nil))
	lg.Info("credentials loaded", "creds", c, "provider", prov)
	fmt.Fprintf(lf, "%v %+v %#v %s\n", c, c, c, prov)
	lf.Close()

	if n := assertNotInFiles(t, secret, dirs...); n < 2 {
		t.Fatalf("only %d files checked; the test looks in the wrong place", n)
	}
	assertNotInFiles(t, token, dirs...)

	// Remove: both entries go, and a second removal is not an error.
	if err := DeleteProfileSecrets(secrets, name); err != nil {
		t.Fatal(err)
	}
	if err := DeleteProfileSecrets(secrets, name); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := secrets.Get(SecretKey(name)); !errors.Is(err, ErrSecretNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	_, _, err = LoadCredentials(p2, secrets, nil)
	var missing *MissingSecretError
	if !errors.As(err, &missing) || missing.Profile != name {
		t.Fatalf("after delete LoadCredentials = %v", err)
	}
}

func TestNoKeyringFallsBackToMemory(t *testing.T) {
	dirs := isolateXDG(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus-here"))
	s := OpenSecretStore(context.Background(), SecretOptions{Timeout: 3 * time.Second})
	st := s.State()
	if st.Backend != BackendMemory || st.Persistent || !strings.Contains(st.Reason, "D-Bus") {
		t.Fatalf("state = %+v", st)
	}
	// The sentence is for users; the D-Bus reason stays in Reason.
	if msg := st.Message(); !strings.Contains(msg, "memory only") || strings.Contains(msg, "D-Bus") {
		t.Fatalf("message %q", msg)
	}
	secret := randomSecret(t)
	key := SecretKey("mem-" + secret[7:15])
	if err := s.Set(key, secret); err != nil {
		t.Fatal(err)
	}
	// Another store opened later in the same session finds it.
	s2 := OpenSecretStore(context.Background(), SecretOptions{Timeout: 3 * time.Second})
	if v, err := s2.Get(key); err != nil || v != secret {
		t.Fatalf("session lookup: %v", err)
	}
	if err := s2.Delete(key); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(key); !errors.Is(err, ErrSecretNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	assertNotInFiles(t, secret, dirs...)

	// A profile without its secret explains why it is asked again.
	p := validProfile()
	_, _, err := LoadCredentials(p, s, nil)
	if err == nil || !strings.Contains(err.Error(), "memory only") || !strings.Contains(err.Error(), `"work"`) {
		t.Fatalf("missing secret: %v", err)
	}
}

func TestNoSecretServiceOnBus(t *testing.T) {
	// A bus that answers but has no Secret Service is the common headless case;
	// reproduce it with a private bus when dbus-daemon is installed.
	if _, err := os.Stat("/usr/bin/dbus-daemon"); err != nil {
		t.Skip("dbus-daemon not installed")
	}
	addr := startPrivateBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	s := OpenSecretStore(context.Background(), SecretOptions{Timeout: 5 * time.Second})
	if st := s.State(); st.Backend != BackendMemory || !strings.Contains(st.Reason, "no Secret Service") {
		t.Fatalf("state = %+v", st)
	}
}

func TestSecretsFileOptIn(t *testing.T) {
	dirs := isolateXDG(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus-here"))
	dir := filepath.Join(dirs[0], "ossdrop")
	s := OpenSecretStore(context.Background(), SecretOptions{Dir: dir, AllowFile: true, Timeout: 3 * time.Second})
	st := s.State()
	if st.Backend != BackendFile || !st.Persistent || st.Path != filepath.Join(dir, SecretsFileName) {
		t.Fatalf("state = %+v", st)
	}
	if msg := st.Message(); !strings.HasPrefix(msg, "Warning:") || !strings.Contains(msg, "unencrypted") || !strings.Contains(msg, st.Path) {
		t.Fatalf("message %q", msg)
	}
	secret := randomSecret(t)
	if err := s.Set(SecretKey("w"), secret); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(st.Path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secrets file: %v %v", fi, err)
	}
	// A new store (next launch) reads it back.
	s2 := OpenSecretStore(context.Background(), SecretOptions{Dir: dir, AllowFile: true, Timeout: 3 * time.Second})
	if v, err := s2.Get(SecretKey("w")); err != nil || v != secret {
		t.Fatalf("read back: %v", err)
	}
	if err := s2.Delete(SecretKey("w")); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(st.Path); bytes.Contains(data, []byte(secret)) {
		t.Fatal("deleted secret still in the file")
	}
	// A corrupt secrets file is reported without quoting it.
	os.WriteFile(st.Path, []byte(`{"w/secret": "`+secret), 0o600)
	_, err = s2.Get(SecretKey("w"))
	if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), st.Path) {
		t.Fatalf("corrupt file: %v", err)
	}
}

// startPrivateBus runs a dbus-daemon with no activatable services and
// returns its address; it is stopped when the test ends.
func startPrivateBus(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	sock := filepath.Join(dir, "bus")
	conf := filepath.Join(dir, "bus.conf")
	os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=`+sock+`</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`), 0o600)
	cmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--nopidfile")
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start dbus-daemon: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return "unix:path=" + sock
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("dbus-daemon did not start listening")
	return ""
}
