package settings

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/ossdrop/ossdrop/ossemu"
	"github.com/ossdrop/ossdrop/transfer"
)

// LocalKeyIDKey names the Local bucket's generated AccessKey ID in the
// SecretStore; the secret is under SecretKey(LocalProfileName).
var LocalKeyIDKey = LocalProfileName + "/access-key-id"

// LocalBucket is the built-in Local bucket: the OSS-compatible server running
// in this process on a loopback port.
type LocalBucket struct {
	Server   *ossemu.Server
	Provider *Provider
	target   transfer.Target
}

// LocalBucketOptions configures StartLocalBucketWith.
type LocalBucketOptions struct {
	Dir    string // data directory; "" means DefaultLocalBucketDir()
	Addr   string // listen address; "" means a free loopback port
	Store  SecretStore
	Logger *slog.Logger
}

// StartLocalBucket starts the Local bucket with its data under dataDir ("":
// $XDG_DATA_HOME/ossdrop/local-bucket) on a free loopback port. Its
// credentials are generated once and kept in store like any other secret;
// with a memory-only store they are new each session, which is harmless
// because only this process talks to the server. Close stops it.
func StartLocalBucket(ctx context.Context, dataDir string, store SecretStore) (*LocalBucket, error) {
	return StartLocalBucketWith(ctx, LocalBucketOptions{Dir: dataDir, Store: store})
}

// StartLocalBucketWith is StartLocalBucket with every option.
func StartLocalBucketWith(ctx context.Context, o LocalBucketOptions) (*LocalBucket, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if o.Store == nil {
		return nil, errors.New("local bucket: no secret store")
	}
	if o.Dir == "" {
		o.Dir = DefaultLocalBucketDir()
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("local bucket: creating %s: %w", o.Dir, err)
	}
	creds, err := localCredentials(o.Store)
	if err != nil {
		return nil, err
	}
	srv, err := ossemu.NewServer(ossemu.Options{
		Addr:            o.Addr,
		Dir:             o.Dir,
		Buckets:         []string{LocalBucketName},
		AccessKeyID:     creds.AccessKeyID,
		AccessKeySecret: creds.AccessKeySecret,
		Logger:          o.Logger,
	})
	if errors.Is(err, ossemu.ErrDirInUse) {
		return nil, fmt.Errorf("the Local bucket is open in another ossdrop (the window, or another command); "+
			"add the files there (`ossdrop FILE...` hands them to a running window) or close it first: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("local bucket: starting the server in %s: %w", o.Dir, err)
	}
	prov := NewProvider(creds, SourceLocal)
	lb := &LocalBucket{Server: srv, Provider: prov, target: transfer.Target{
		Dest:        LocalProfileID,
		Profile:     LocalProfileName,
		Endpoint:    srv.URL,
		Bucket:      srv.Bucket(),
		Credentials: prov,
	}}
	return lb, nil
}

// localCredentials reads the Local bucket's key pair from store, generating
// and storing one on first use.
func localCredentials(store SecretStore) (Credentials, error) {
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

// Target is where uploads to the Local bucket go; use it with the Local
// profile's Options().
func (l *LocalBucket) Target() transfer.Target { return l.target }

// Endpoint is the server's URL, e.g. http://127.0.0.1:41234.
func (l *LocalBucket) Endpoint() string { return l.target.Endpoint }

// Dir is where the objects are stored.
func (l *LocalBucket) Dir() string { return l.Server.Dir() }

// Close stops the server; the objects stay on disk.
func (l *LocalBucket) Close() error { return l.Server.Close() }
