package benchcmp

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"
	"sync/atomic"

	oss2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
	oss1 "github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossdrop/ossdrop/transfer"
)

// job is one client run, handed to a child process as JSON.
type job struct {
	Tool               string // toolOssdrop, toolSDK1 or toolSDK2
	Endpoint           string
	ID, Secret, Bucket string
	Src                string // a file or a directory
	Prefix             string // key prefix
	Files              int    // files expected under Src
	PartSize           int64
	Parallel           int    // parts in flight per file
	Jobs               int    // files in flight for the SDKs
	Matched            bool   // ossdrop also uses PartSize/Parallel, one file at a time
	StateDir           string // ossdrop state or SDK checkpoints
}

const (
	toolOssdrop = "ossdrop"
	toolSDK1    = "sdk1-UploadFile"
	toolSDK2    = "sdk2-Uploader"
)

var tools = []string{toolOssdrop, toolSDK1, toolSDK2}

type staticCreds struct{ id, secret string }

func (c staticCreds) GetAccessKeyID() string           { return c.id }
func (c staticCreds) GetAccessKeySecret() string       { return c.secret }
func (c staticCreds) GetSecurityToken() string         { return "" }
func (c staticCreds) GetCredentials() oss1.Credentials { return c }

func (j job) run(ctx context.Context) error {
	switch j.Tool {
	case toolOssdrop:
		return j.runOssdrop(ctx)
	case toolSDK1:
		return j.runSDK1(ctx)
	case toolSDK2:
		return j.runSDK2(ctx)
	}
	return fmt.Errorf("unknown tool %q", j.Tool)
}

func (j job) runOssdrop(ctx context.Context) error {
	o := transfer.DefaultOptions()
	if j.Matched {
		o.PartSize, o.TaskNum, o.Jobs = j.PartSize, j.Parallel, 1
	}
	m, err := transfer.NewManager(transfer.Config{
		Target:   transfer.Target{Endpoint: j.Endpoint, Bucket: j.Bucket, Credentials: staticCreds{j.ID, j.Secret}},
		Options:  o,
		StateDir: j.StateDir,
	})
	if err != nil {
		return err
	}
	defer m.Close()
	m.Add([]string{j.Src}, j.Prefix)
	if err := m.Wait(ctx); err != nil {
		return err
	}
	if tt := m.Totals(); tt.Done != j.Files {
		for _, ts := range m.Snapshot(nil) {
			if ts.Err != nil {
				return fmt.Errorf("ossdrop: %d of %d files done; %s: %w", tt.Done, j.Files, ts.Path, ts.Err)
			}
		}
		return fmt.Errorf("ossdrop: %d of %d files done: %+v", tt.Done, j.Files, tt)
	}
	return nil
}

// each calls up for every file under Src with its key, j.Jobs at a time, the
// way ossutil drives an SDK.
func (j job) each(ctx context.Context, up func(path, key string) error) error {
	paths := make(chan string)
	var wg sync.WaitGroup
	var firstErr atomic.Pointer[error]
	var done atomic.Int64
	for range max(j.Jobs, 1) {
		wg.Go(func() {
			for p := range paths {
				rel, _ := filepath.Rel(filepath.Dir(j.Src), p)
				if err := up(p, j.Prefix+"/"+filepath.ToSlash(rel)); err != nil {
					err = fmt.Errorf("%s: %s: %w", j.Tool, p, err)
					firstErr.CompareAndSwap(nil, &err)
					continue
				}
				done.Add(1)
			}
		})
	}
	walkErr := filepath.WalkDir(j.Src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		select {
		case paths <- p:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(paths)
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		return *e
	}
	if walkErr != nil {
		return walkErr
	}
	if int(done.Load()) != j.Files {
		return fmt.Errorf("%s: %d of %d files uploaded", j.Tool, done.Load(), j.Files)
	}
	return nil
}

func (j job) runSDK1(ctx context.Context) error {
	c, err := oss1.New(j.Endpoint, j.ID, j.Secret)
	if err != nil {
		return err
	}
	bk, err := c.Bucket(j.Bucket)
	if err != nil {
		return err
	}
	return j.each(ctx, func(path, key string) error {
		return bk.UploadFile(key, path, j.PartSize, oss1.Routines(j.Parallel), oss1.CheckpointDir(true, j.StateDir))
	})
}

func (j job) runSDK2(ctx context.Context) error {
	cfg := oss2.LoadDefaultConfig().
		WithCredentialsProvider(credentials.NewStaticCredentialsProvider(j.ID, j.Secret)).
		WithEndpoint(j.Endpoint).
		WithRegion("cn-hangzhou").
		WithUsePathStyle(true).
		// ossdrop signs with V1 by default; the same here keeps signing cost equal.
		WithSignatureVersion(oss2.SignatureVersionV1)
	u := oss2.NewClient(cfg).NewUploader(func(o *oss2.UploaderOptions) {
		o.PartSize, o.ParallelNum = j.PartSize, j.Parallel
		o.EnableCheckpoint, o.CheckpointDir = true, j.StateDir
	})
	return j.each(ctx, func(path, key string) error {
		_, err := u.UploadFile(ctx, &oss2.PutObjectRequest{Bucket: oss2.Ptr(j.Bucket), Key: oss2.Ptr(key)}, path)
		return err
	})
}
