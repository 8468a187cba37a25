package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/ossdrop/ossdrop/ossemu"
	"github.com/ossdrop/ossdrop/settings"
	"github.com/ossdrop/ossdrop/transfer"
)

// LocalBucket is the built-in Local bucket: the OSS-compatible server running
// in this process on a loopback port.
type LocalBucket struct {
	Server   *ossemu.Server
	Provider *settings.Provider
	target   transfer.Target
}

// LocalBucketOptions configures StartLocalBucket.
type LocalBucketOptions struct {
	Dir    string // data directory; "" means settings.DefaultLocalBucketDir()
	Addr   string // listen address; "" means a free loopback port
	Store  settings.SecretStore
	Logger *slog.Logger
}

// StartLocalBucket starts the Local bucket with its data under o.Dir on a
// free loopback port. Its credentials are generated once and kept in o.Store
// like any other secret (settings.LocalCredentials); with a memory-only store
// they are new each session, which is harmless because only this process talks
// to the server. Close stops it.
func StartLocalBucket(ctx context.Context, o LocalBucketOptions) (*LocalBucket, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if o.Store == nil {
		return nil, errors.New("local bucket: no secret store")
	}
	if o.Dir == "" {
		o.Dir = settings.DefaultLocalBucketDir()
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("local bucket: creating %s: %w", o.Dir, err)
	}
	creds, err := settings.LocalCredentials(o.Store)
	if err != nil {
		return nil, err
	}
	srv, err := ossemu.NewServer(ossemu.Options{
		Addr:            o.Addr,
		Dir:             o.Dir,
		Buckets:         []string{settings.LocalBucketName},
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
	prov := settings.NewProvider(creds, settings.SourceLocal)
	return &LocalBucket{Server: srv, Provider: prov, target: transfer.Target{
		Dest:        settings.LocalProfileID,
		Profile:     settings.LocalProfileName,
		Endpoint:    srv.URL,
		Bucket:      srv.Bucket(),
		Credentials: prov,
	}}, nil
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
