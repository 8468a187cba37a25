package benchcmp

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ossdrop/ossdrop/internal/testkit"
	"github.com/ossdrop/ossdrop/ossemu"
)

// TestToolsUpload runs each tool's upload in process on a few small files, so
// a broken benchmark harness shows up in ordinary tests, and checks the
// in-flight counter the benchmarks report.
func TestToolsUpload(t *testing.T) {
	srv, err := ossemu.NewServer(ossemu.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	count := &inFlight{h: srv}
	hs := httptest.NewServer(count)
	defer hs.Close()
	src := filepath.Join(t.TempDir(), "src")
	testkit.WriteRandomFiles(t, src, 5, 1000, 2, 3)
	for _, tool := range tools {
		j := job{
			Tool: tool, Endpoint: hs.URL, ID: srv.AccessKeyID, Secret: srv.AccessKeySecret,
			Bucket: srv.Bucket(), Src: src, Prefix: "t/" + tool, Files: 5,
			PartSize: benchPart, Parallel: benchParallel, Jobs: benchJobs, StateDir: t.TempDir(),
		}
		if err := j.run(t.Context()); err != nil {
			t.Fatalf("%s: %v", tool, err)
		}
		var n int
		for _, k := range srv.Keys(srv.Bucket()) {
			if strings.HasPrefix(k, j.Prefix+"/") {
				n++
			}
		}
		if n != 5 {
			t.Fatalf("%s stored %d of 5 objects: %q", tool, n, srv.Keys(srv.Bucket()))
		}
	}
	if count.peak.Load() < 1 || count.cur.Load() != 0 {
		t.Fatalf("in-flight counter: peak %d, now %d", count.peak.Load(), count.cur.Load())
	}
	j := job{Tool: toolSDK1, Endpoint: hs.URL, ID: srv.AccessKeyID, Secret: srv.AccessKeySecret,
		Bucket: srv.Bucket(), Src: src, Prefix: "u", Files: 6, PartSize: benchPart, Parallel: 1, Jobs: 1, StateDir: t.TempDir()}
	if err := j.run(t.Context()); err == nil {
		t.Fatal("a run that uploaded fewer files than expected reported success")
	}
}
