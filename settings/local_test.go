package settings

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/adrg/xdg"
	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/ossdrop/ossdrop/ossemu"
)

func TestLocalBucket(t *testing.T) {
	dirs := isolateXDG(t)
	store := NewMemorySecretStore("test")
	ctx := context.Background()
	lb, err := StartLocalBucket(ctx, "", store)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(xdg.DataHome, "ossdrop", "local-bucket"); lb.Dir() != want {
		t.Fatalf("data dir %s, want %s", lb.Dir(), want)
	}
	tg := lb.Target()
	if !strings.HasPrefix(tg.Endpoint, "http://127.0.0.1:") || tg.Bucket != LocalBucketName || tg.Profile != LocalProfileName {
		t.Fatalf("target %+v", tg)
	}
	check(t, tg, 0, noEnv, ConnOK)

	// Upload an object through the SDK to prove it is a working bucket.
	c, err := NewClient(tg, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.Bucket(tg.Bucket)
	if err := b.PutObject("hello.txt", strings.NewReader("hello"), oss.ContentType("text/plain")); err != nil {
		t.Fatal(err)
	}
	CloseClient(c)
	secret := lb.Provider.Credentials().AccessKeySecret
	id := lb.Provider.Credentials().AccessKeyID
	if err := lb.Close(); err != nil {
		t.Fatal(err)
	}
	check(t, tg, 0, noEnv, ConnRefused)

	// Started again: same credentials from the store, same objects.
	lb2, err := StartLocalBucket(ctx, "", store)
	if err != nil {
		t.Fatal(err)
	}
	defer lb2.Close()
	if got := lb2.Provider.Credentials(); got.AccessKeyID != id || got.AccessKeySecret != secret {
		t.Fatal("credentials changed across restarts")
	}
	if data, err := lb2.Server.ReadObject(LocalBucketName, "hello.txt"); err != nil || string(data) != "hello" {
		t.Fatalf("object after restart: %q %v", data, err)
	}
	// The generated secret lives in the store only.
	assertNotInFiles(t, secret, dirs...)
	if _, err := os.Stat(ossemu.CredentialsPath(lb2.Dir())); !os.IsNotExist(err) {
		t.Fatalf("server wrote its own credentials file: %v", err)
	}
	// A Local profile resolves through its stored credentials too.
	cfg := Defaults()
	p, _ := cfg.Default()
	c2, src, err := LoadCredentials(p, store, envOf(map[string]string{EnvAccessKeyID: "x", EnvAccessKeySecret: "y"}))
	if err != nil || src != SourceLocal || c2.AccessKeyID != id || c2.AccessKeySecret != secret {
		t.Fatalf("Local profile credentials %v from %s: %v (the environment must not override them)", c2, src, err)
	}
}

func TestLocalBucketWithKeyring(t *testing.T) {
	requireKeyring(t)
	dirs := isolateXDG(t)
	store := OpenSecretStore(context.Background(), SecretOptions{})
	// Keep a user's real Local bucket credentials out of the way.
	old := LocalKeyIDKey
	LocalKeyIDKey = "test-" + randomToken(8) + "/access-key-id"
	t.Cleanup(func() {
		store.Delete(LocalKeyIDKey)
		LocalKeyIDKey = old
	})
	prevSecret, prevErr := store.Get(SecretKey(LocalProfileName))
	t.Cleanup(func() {
		if prevErr == nil {
			store.Set(SecretKey(LocalProfileName), prevSecret)
		} else {
			store.Delete(SecretKey(LocalProfileName))
		}
	})
	store.Delete(SecretKey(LocalProfileName))

	lb, err := StartLocalBucket(context.Background(), filepath.Join(dirs[1], "lb"), store)
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	check(t, lb.Target(), 0, noEnv, ConnOK)
	secret := lb.Provider.Credentials().AccessKeySecret
	if v, err := store.Get(SecretKey(LocalProfileName)); err != nil || v != secret {
		t.Fatalf("keyring does not hold the Local bucket secret: %v", err)
	}
	assertNotInFiles(t, secret, dirs...)
}
