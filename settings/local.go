package settings

import (
	"crypto/rand"
	"errors"
	"fmt"
)

// LocalKeyIDKey names the Local bucket's generated AccessKey ID in the
// SecretStore; the secret is under SecretKey(LocalProfileName).
var LocalKeyIDKey = LocalProfileName + "/access-key-id"

// LocalCredentials reads the Local bucket's key pair from store, generating
// and storing one on first use. The server and LoadCredentials both read the
// pair from there, so they always agree.
func LocalCredentials(store SecretStore) (Credentials, error) {
	id, errID := store.Get(LocalKeyIDKey)
	secret, errSecret := store.Get(SecretKey(LocalProfileName))
	if errID == nil && errSecret == nil && id != "" && secret != "" {
		return Credentials{AccessKeyID: id, AccessKeySecret: secret}, nil
	}
	for _, err := range []error{errID, errSecret} {
		if err != nil && !errors.Is(err, ErrSecretNotFound) {
			return Credentials{}, fmt.Errorf("local bucket: reading its credentials: %w", err)
		}
	}
	c := Credentials{AccessKeyID: "LTAIlocal" + randomToken(16), AccessKeySecret: randomToken(32)}
	if err := store.Set(LocalKeyIDKey, c.AccessKeyID); err != nil {
		return Credentials{}, fmt.Errorf("local bucket: storing its credentials: %w", err)
	}
	if err := store.Set(SecretKey(LocalProfileName), c.AccessKeySecret); err != nil {
		return Credentials{}, fmt.Errorf("local bucket: storing its credentials: %w", err)
	}
	return c, nil
}

func randomToken(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand since Go 1.24)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
