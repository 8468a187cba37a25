package ui

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/ossdrop/ossdrop/app"
	"github.com/ossdrop/ossdrop/settings"
	"github.com/ossdrop/ossdrop/transfer"
)

// The first-run journey through the resume dialog, on defaults: uploads to the
// built-in Local bucket are interrupted by a quit, and the next launch (whose
// Local bucket listens on another port) resumes them from the dialog, or
// discards them, aborting the uploads on the server.

// launchCore opens the application core of one launch over root.
func launchCore(t *testing.T, root string, secrets settings.SecretStore) *app.Core {
	t.Helper()
	c := app.Open(context.Background(), app.Options{ConfigDir: filepath.Join(root, "config"), StateDir: filepath.Join(root, "state"),
		LocalBucketDir: filepath.Join(root, "local"), Getenv: func(string) string { return "" }, Secrets: secrets})
	t.Cleanup(func() { c.Close() })
	return c
}

// interruptedOnLocal runs a first launch that uploads files to the Local
// bucket and quits while they are half done.
func interruptedOnLocal(t *testing.T, root string, secrets settings.SecretStore, files ...string) {
	t.Helper()
	c := launchCore(t, root, secrets)
	tg, o, err := c.Destination(context.Background(), settings.LocalProfileName)
	if err != nil {
		t.Fatal(err)
	}
	o.PartSize, o.LimitRate = transfer.MinPartSize, 4<<20
	m, err := c.NewManager(tg, o)
	if err != nil {
		t.Fatal(err)
	}
	var ids []transfer.TaskID
	for _, f := range files {
		id, err := m.AddFile(f, filepath.Base(f))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, id := range ids {
		for {
			ts, _ := m.Task(id)
			if ts.Done >= 2*transfer.MinPartSize {
				break
			}
			if ts.State.Finished() || time.Now().After(deadline) {
				t.Fatalf("not interrupted mid-way: %+v", ts)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	c.Close() // quit: the Manager keeps checkpoints, the Local bucket stops
}

// relaunch opens the window of the next launch on the default profile.
func relaunch(t *testing.T, root string, secrets settings.SecretStore) (*Window, *app.Core, *transfer.Manager) {
	t.Helper()
	c := launchCore(t, root, secrets)
	tg, o, err := c.Destination(context.Background(), settings.LocalProfileName)
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.NewManager(tg, o)
	if err != nil {
		t.Fatal(err)
	}
	a := test.NewTempApp(t)
	w := New(a, Config{Backend: m, Target: tg, Core: c})
	useLoop(w)
	w.win.Resize(fyne.NewSize(1000, 640))
	t.Cleanup(func() {
		settle(w)
		w.win.Close()
	})
	us, err := transfer.ListUnfinished(c.StateDir())
	if err != nil || len(us) == 0 {
		t.Fatalf("nothing to resume: %v", err)
	}
	w.OfferResume(us, settings.ResumeAsk)
	return w, c, m
}

func TestLocalBucketResumeFromDialogAfterRelaunch(t *testing.T) {
	root, secrets := t.TempDir(), settings.NewMemorySecretStore("test")
	src := t.TempDir()
	data := randBytes(12*transfer.MinPartSize+9, 41)
	file := writeFile(t, filepath.Join(src, "big.bin"), data)
	interruptedOnLocal(t, root, secrets, file)

	w, c, m := relaunch(t, root, secrets)
	test.Tap(findButton(t, w.win.Canvas(), "Resume all"))
	r := &rig{m: m, w: w}
	r.waitFor(t, "resumed upload", func(tt transfer.Totals) bool { return tt.Done == 1 })
	lb, _ := c.LocalBucket(context.Background())
	got, err := lb.Server.ReadObject(settings.LocalBucketName, "big.bin")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("object not byte-exact (%d bytes, %v)", len(got), err)
	}
	if ts := w.list.tasks()[0]; !ts.Resumed {
		t.Fatalf("started again instead of resuming: %+v", ts)
	}
	// The copied URL names the running Local bucket, not the port of the first launch.
	w.copyLink(w.list.tasks()[0], 0)
	if want := lb.Endpoint() + "/local/big.bin"; w.lastCopied != want {
		t.Fatalf("copied %q, want %q", w.lastCopied, want)
	}
	m.Close()
	if us, _ := transfer.ListUnfinished(c.StateDir()); len(us) != 0 {
		t.Fatalf("records left after completion: %+v", us)
	}
}

func TestLocalBucketDiscardAfterRelaunchAbortsOnServer(t *testing.T) {
	root, secrets := t.TempDir(), settings.NewMemorySecretStore("test")
	src := t.TempDir()
	file := writeFile(t, filepath.Join(src, "gone.bin"), randBytes(12*transfer.MinPartSize, 42))
	interruptedOnLocal(t, root, secrets, file)

	w, c, _ := relaunch(t, root, secrets)
	lb, err := c.LocalBucket(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ups := lb.Server.Uploads(settings.LocalBucketName); len(ups) != 1 {
		t.Fatalf("the interrupted upload is not on the Local bucket: %+v", ups)
	}
	test.Tap(findButton(t, w.win.Canvas(), "Discard"))
	test.Tap(findButton(t, w.win.Canvas(), "Discard"))
	settle(w)
	if ups := lb.Server.Uploads(settings.LocalBucketName); len(ups) != 0 {
		t.Fatalf("multipart uploads left on the Local bucket: %+v", ups)
	}
	if us, _ := transfer.ListUnfinished(c.StateDir()); len(us) != 0 {
		t.Fatalf("records left after discard: %+v (overlays %q)", us, overlayText(w))
	}
}
