package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/ossdrop/ossdrop/ossemu"
	"github.com/ossdrop/ossdrop/settings"
)

// The Local bucket is a working OSS bucket that keeps its objects and its
// credentials across launches, and never writes its secret to a file.
func TestLocalBucket(t *testing.T) {
	root := t.TempDir()
	store := settings.NewMemorySecretStore("test")
	ctx := context.Background()
	dir := filepath.Join(root, "local")
	lb, err := StartLocalBucket(ctx, LocalBucketOptions{Dir: dir, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	tg := lb.Target()
	if !strings.HasPrefix(tg.Endpoint, "http://127.0.0.1:") || tg.Bucket != settings.LocalBucketName ||
		tg.Profile != settings.LocalProfileName || tg.Dest != settings.LocalProfileID || lb.Dir() != dir {
		t.Fatalf("target %+v in %s", tg, lb.Dir())
	}
	if r := settings.CheckConnection(ctx, tg, 0, noEnv); !r.OK() {
		t.Fatalf("connection test: %v %s", r.Kind, r.Message)
	}

	// Upload an object through the SDK to prove it is a working bucket.
	c, err := settings.NewClient(tg, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.Bucket(tg.Bucket)
	if err := b.PutObject("hello.txt", strings.NewReader("hello"), oss.ContentType("text/plain")); err != nil {
		t.Fatal(err)
	}
	settings.CloseClient(c)
	creds := lb.Provider.Credentials()
	if err := lb.Close(); err != nil {
		t.Fatal(err)
	}
	if r := settings.CheckConnection(ctx, tg, 0, noEnv); r.Kind != settings.ConnRefused {
		t.Fatalf("after Close: %v %s", r.Kind, r.Message)
	}

	// Started again: same credentials from the store, same objects.
	lb2, err := StartLocalBucket(ctx, LocalBucketOptions{Dir: dir, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	defer lb2.Close()
	if got := lb2.Provider.Credentials(); got != creds {
		t.Fatal("credentials changed across restarts")
	}
	if data, err := lb2.Server.ReadObject(settings.LocalBucketName, "hello.txt"); err != nil || string(data) != "hello" {
		t.Fatalf("object after restart: %q %v", data, err)
	}
	if _, err := os.Stat(ossemu.CredentialsPath(lb2.Dir())); !os.IsNotExist(err) {
		t.Fatalf("server wrote its own credentials file: %v", err)
	}
	filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			if data, _ := os.ReadFile(p); strings.Contains(string(data), creds.AccessKeySecret) {
				t.Errorf("%s holds the Local bucket's secret", p)
			}
		}
		return nil
	})

	// A second server on the same directory is refused with a message that
	// says what to do.
	if _, err := StartLocalBucket(ctx, LocalBucketOptions{Dir: dir, Store: store}); err == nil || !strings.Contains(err.Error(), "open in another ossdrop") {
		t.Fatalf("second Local bucket on one directory: %v", err)
	}
}
