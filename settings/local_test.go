package settings

import (
	"context"
	"strings"
	"testing"
)

func TestLocalCredentials(t *testing.T) {
	dirs := isolateXDG(t)
	store := NewMemorySecretStore("test")
	c, err := LocalCredentials(store)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.AccessKeyID, "LTAIlocal") || len(c.AccessKeySecret) != 32 {
		t.Fatalf("generated credentials %q / %d-character secret", c.AccessKeyID, len(c.AccessKeySecret))
	}
	// Asked again (a relaunch): the same pair from the store.
	again, err := LocalCredentials(store)
	if err != nil || again != c {
		t.Fatalf("credentials changed across launches: %v", err)
	}
	// A Local profile resolves through the stored pair, never the environment.
	cfg := Defaults()
	p, _ := cfg.Default()
	got, src, err := LoadCredentials(p, store, envOf(map[string]string{EnvAccessKeyID: "x", EnvAccessKeySecret: "y"}))
	if err != nil || src != SourceLocal || got != c {
		t.Fatalf("Local profile credentials %v from %s: %v (the environment must not override them)", got, src, err)
	}
	assertNotInFiles(t, c.AccessKeySecret, dirs...)
}

func TestLocalCredentialsInKeyring(t *testing.T) {
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

	c, err := LocalCredentials(store)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := store.Get(SecretKey(LocalProfileName)); err != nil || v != c.AccessKeySecret {
		t.Fatalf("keyring does not hold the Local bucket secret: %v", err)
	}
	assertNotInFiles(t, c.AccessKeySecret, dirs...)
}
