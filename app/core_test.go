package app

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/ossemu"
	"github.com/ossdrop/ossdrop/settings"
	"github.com/ossdrop/ossdrop/transfer"
)

func noEnv(string) string { return "" }

func newEmu(t *testing.T, o ossemu.Options) *ossemu.Server {
	t.Helper()
	s, err := ossemu.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testCore opens a core on private directories with an in-memory secret store
// that outlives the core (as a keyring outlives a launch).
func testCore(t *testing.T, root string, secrets settings.SecretStore) *Core {
	t.Helper()
	c := Open(context.Background(), Options{
		ConfigDir: filepath.Join(root, "config"), StateDir: filepath.Join(root, "state"),
		LocalBucketDir: filepath.Join(root, "local"), Getenv: noEnv, Secrets: secrets,
	})
	t.Cleanup(func() { c.Close() })
	return c
}

func emuProfile(s *ossemu.Server, name string) settings.Profile {
	return settings.Profile{Name: name, Endpoint: s.URL, Bucket: s.Bucket(), Transfer: settings.DefaultTransfer()}
}

func TestProfilesKeepTheirSecretAndId(t *testing.T) {
	srv := newEmu(t, ossemu.Options{})
	secrets := settings.NewMemorySecretStore("test")
	c := testCore(t, t.TempDir(), secrets)
	ctx := context.Background()
	if c.LoadError() != nil {
		t.Fatal(c.LoadError())
	}
	if p, ok := c.Config().Default(); !ok || !p.Local || p.ID != settings.LocalProfileID {
		t.Fatalf("first launch default %+v", p)
	}
	creds := &settings.Credentials{AccessKeyID: srv.AccessKeyID, AccessKeySecret: srv.AccessKeySecret}
	if _, err := c.SaveProfile("", emuProfile(srv, "work"), creds); err != nil {
		t.Fatal(err)
	}
	if err := c.SetDefault("work"); err != nil {
		t.Fatal(err)
	}
	p, _ := c.Config().Profile("work")
	if p.ID == "" || p.ID == settings.LocalProfileID {
		t.Fatalf("new profile id %q", p.ID)
	}
	// Renamed in the form with the secret field left empty: the secret moves along.
	renamed := p
	renamed.Name = "office"
	renamed.Prefix = "in/"
	if _, err := c.SaveProfile("work", renamed, nil); err != nil {
		t.Fatal(err)
	}
	q, ok := c.Config().Profile("office")
	if !ok || q.ID != p.ID || q.Prefix != "in/" {
		t.Fatalf("after rename %+v", q)
	}
	if _, ok := c.Config().Profile("work"); ok {
		t.Fatal("old name still there")
	}
	if c.Config().DefaultProfile != "office" {
		t.Fatalf("default %q", c.Config().DefaultProfile)
	}
	if _, err := secrets.Get(settings.SecretKey("work")); !errors.Is(err, settings.ErrSecretNotFound) {
		t.Fatalf("old secret entry left: %v", err)
	}
	if _, res := c.CheckProfile(ctx, q, nil, 0); !res.OK() {
		t.Fatalf("secret lost in the rename: %s", res.Message)
	}
	if err := c.RenameProfile("office", "home"); err != nil {
		t.Fatal(err)
	}
	// A recorded upload finds the renamed profile by id.
	tg, err := c.Resolve(ctx, transfer.Destination{ID: p.ID, Profile: "work", Bucket: srv.Bucket()})
	if err != nil || tg.Profile != "home" || tg.Endpoint != srv.URL || tg.Dest != p.ID {
		t.Fatalf("resolve after renames: %+v %v", tg, err)
	}
	// Taken names and the Local bucket are refused; nothing changes.
	if _, err := c.SaveProfile("home", func() settings.Profile { x := q; x.Name = settings.LocalProfileName; return x }(), nil); err == nil {
		t.Fatal("renamed onto the Local bucket's name")
	}
	lp := settings.LocalProfile()
	lp.Name = "mine"
	if _, err := c.SaveProfile(settings.LocalProfileName, lp, nil); err == nil {
		t.Fatal("renamed the Local bucket")
	}
	// Next launch sees the same ids.
	c2 := testCore(t, filepath.Dir(filepath.Dir(c.SettingsPath())), secrets)
	if h, _ := c2.Config().Profile("home"); h.ID != p.ID {
		t.Fatalf("id after relaunch %q, want %q", h.ID, p.ID)
	}
	if err := c.RemoveProfile("home"); err != nil {
		t.Fatal(err)
	}
	if _, err := secrets.Get(settings.SecretKey("home")); !errors.Is(err, settings.ErrSecretNotFound) {
		t.Fatalf("secret after remove: %v", err)
	}
	_, err = c.Resolve(ctx, transfer.Destination{ID: p.ID, Profile: "home", Bucket: srv.Bucket()})
	var re *RemovedError
	if !errors.As(err, &re) || !errors.Is(err, transfer.ErrDestinationRemoved) || !strings.Contains(err.Error(), `profile "home" was removed`) {
		t.Fatalf("resolve removed: %v", err)
	}
}

// Settings written before profiles had ids get them, saved at once, so uploads
// recorded from then on find their profile in every later launch.
func TestOldSettingsGetStableIds(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "config")
	os.MkdirAll(dir, 0o700)
	old := `{"version":2,"default_profile":"Local bucket","profiles":[{"name":"Local bucket","local":true,"bucket":"local","transfer":{"part_size":8388608,"task_num":4,"jobs":2,"checkpoint":true,"on_exists":"overwrite"}},` +
		`{"name":"work","endpoint":"cn-hangzhou","bucket":"abc","transfer":{"part_size":8388608,"task_num":4,"jobs":2,"checkpoint":true,"on_exists":"overwrite"}}],"app":{"resume_on_launch":"ask"}}`
	os.WriteFile(filepath.Join(dir, settings.FileName), []byte(old), 0o600)
	secrets := settings.NewMemorySecretStore("test")
	c1 := testCore(t, root, secrets)
	w1, _ := c1.Config().Profile("work")
	l1, _ := c1.Config().Profile(settings.LocalProfileName)
	c2 := testCore(t, root, secrets)
	w2, _ := c2.Config().Profile("work")
	if w1.ID == "" || w1.ID != w2.ID || l1.ID != settings.LocalProfileID {
		t.Fatalf("ids %q %q %q", w1.ID, w2.ID, l1.ID)
	}
}

func randomFile(t *testing.T, n int) (string, []byte) {
	data := make([]byte, n)
	r := rand.New(rand.NewPCG(uint64(n), 7))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	path := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, data
}

// interrupt uploads part of path with m, then closes m as a quit would.
func interrupt(t *testing.T, m *transfer.Manager, path string, parts int64) {
	t.Helper()
	id, err := m.AddFile(path, "big.bin")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ts, _ := m.Task(id)
		if ts.Done >= parts*transfer.MinPartSize {
			break
		}
		if ts.State.Finished() || time.Now().After(deadline) {
			t.Fatalf("not interrupted: %+v", ts)
		}
		time.Sleep(5 * time.Millisecond)
	}
	m.Close()
}

func slowOptions() transfer.Options {
	o := transfer.DefaultOptions()
	o.PartSize, o.TaskNum, o.LimitRate = transfer.MinPartSize, 2, 2<<20
	return o
}

// The Local bucket listens on a new port each launch; an upload to it resumes
// after a relaunch and ends byte-exact with no checkpoint left.
func TestLocalBucketUploadResumesAfterRelaunch(t *testing.T) {
	root := t.TempDir()
	secrets := settings.NewMemorySecretStore("test")
	path, data := randomFile(t, 20*transfer.MinPartSize+5)
	c1 := testCore(t, root, secrets)
	tg, o, err := c1.Destination(context.Background(), settings.LocalProfileName)
	if err != nil {
		t.Fatal(err)
	}
	o.PartSize, o.LimitRate = transfer.MinPartSize, 2<<20
	m1, err := c1.NewManager(tg, o)
	if err != nil {
		t.Fatal(err)
	}
	interrupt(t, m1, path, 4)
	port1 := tg.Endpoint
	c1.Close()

	c2 := testCore(t, root, secrets)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	if us, err := c2.Unfinished(canceled); !errors.Is(err, context.Canceled) || us != nil {
		t.Fatalf("listing for a window already gone: %+v %v", us, err)
	}
	us, err := c2.Unfinished(context.Background()) // what the window lists
	if err != nil || len(us) != 1 || us[0].Dest != settings.LocalProfileID {
		t.Fatalf("unfinished %+v %v", us, err)
	}
	// The window opens on another profile; the record still goes to the Local bucket.
	m2, err := c2.NewManager(transfer.Target{}, transfer.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	m2.ResumeUnfinished(us)
	if err := m2.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ts := m2.Snapshot(nil)
	if len(ts) != 1 || ts[0].State != transfer.Done || !ts[0].Resumed {
		t.Fatalf("%+v %v", ts, ts[0].Err)
	}
	lb, _ := c2.LocalBucket(context.Background())
	if lb.Endpoint() == port1 {
		t.Log("the Local bucket came back on the same port")
	}
	got, err := lb.Server.ReadObject(settings.LocalBucketName, "big.bin")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("object differs (%d bytes, %v)", len(got), err)
	}
	url, err := m2.ObjectURL(ts[0].ID, 0)
	if err != nil || !strings.HasPrefix(url, lb.Endpoint()+"/") {
		t.Fatalf("URL %q %v, want the running bucket %s", url, err, lb.Endpoint())
	}
	m2.Close()
	if us, _ := transfer.ListUnfinished(c2.StateDir()); len(us) != 0 {
		t.Fatalf("left: %+v", us)
	}
}

// An upload recorded for a removed profile is never sent with another
// profile's credentials, even to the same server where they would work.
func TestRemovedProfileNeverGetsOtherCredentials(t *testing.T) {
	srv := newEmu(t, ossemu.Options{})
	root := t.TempDir()
	secrets := settings.NewMemorySecretStore("test")
	creds := &settings.Credentials{AccessKeyID: srv.AccessKeyID, AccessKeySecret: srv.AccessKeySecret}
	c1 := testCore(t, root, secrets)
	for _, n := range []string{"a", "b"} {
		if _, err := c1.SaveProfile("", emuProfile(srv, n), creds); err != nil {
			t.Fatal(err)
		}
	}
	ta, _, err := c1.Destination(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	m1, _ := c1.NewManager(ta, slowOptions())
	path, _ := randomFile(t, 12*transfer.MinPartSize)
	interrupt(t, m1, path, 2)
	if err := c1.RemoveProfile("a"); err != nil {
		t.Fatal(err)
	}
	c1.Close()

	c2 := testCore(t, root, secrets)
	tb, _, err := c2.Destination(context.Background(), "b")
	if err != nil {
		t.Fatal(err)
	}
	var asked []string
	m2, _ := c2.NewManager(tb, slowOptions())
	us, _ := transfer.ListUnfinished(c2.StateDir())
	// The first run's cancelled parts may still be arriving at the server.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	before := srv.BytesReceived(ossemu.OpUploadPart)
	m2.ResumeUnfinished(us)
	m2.Wait(context.Background())
	ts := m2.Snapshot(nil)[0]
	if ts.State != transfer.Failed || !errors.Is(ts.Err, transfer.ErrDestinationRemoved) || !strings.Contains(ts.Err.Message, `profile "a" was removed`) {
		t.Fatalf("%+v %v", ts, ts.Err)
	}
	if n := srv.BytesReceived(ossemu.OpUploadPart) - before; n != 0 {
		t.Fatalf("%d bytes sent for a removed profile", n)
	}
	_ = asked
}

// A profile without its secret makes resumed uploads wait, with their bucket
// and progress; entering the secret sends every waiting upload on.
func TestWaitingForTheSecret(t *testing.T) {
	srv := newEmu(t, ossemu.Options{})
	root := t.TempDir()
	creds := &settings.Credentials{AccessKeyID: srv.AccessKeyID, AccessKeySecret: srv.AccessKeySecret}
	first := settings.NewMemorySecretStore("test")
	c1 := testCore(t, root, first)
	if _, err := c1.SaveProfile("", emuProfile(srv, "work"), creds); err != nil {
		t.Fatal(err)
	}
	tw, _, _ := c1.Destination(context.Background(), "work")
	m1, _ := c1.NewManager(tw, slowOptions())
	path, data := randomFile(t, 12*transfer.MinPartSize)
	interrupt(t, m1, path, 3)
	c1.Close()

	// Next launch without a keyring: the secret is gone.
	c2 := testCore(t, root, settings.NewMemorySecretStore("test"))
	// The window opens on the profile anyway, with no secret in its credentials.
	p, _ := c2.Config().Profile("work")
	cur, err := c2.Target(context.Background(), p)
	var we0 *WaitingError
	if !errors.As(err, &we0) || cur.Endpoint != srv.URL {
		t.Fatalf("target without secret: %+v %v", cur, err)
	}
	m2, _ := c2.NewManager(cur, transfer.DefaultOptions())
	us, _ := transfer.ListUnfinished(c2.StateDir())
	m2.ResumeUnfinished(us)
	m2.Wait(context.Background())
	ts := m2.Snapshot(nil)[0]
	var we *WaitingError
	if ts.State != transfer.Paused || !errors.As(ts.Err, &we) || we.Profile != "work" ||
		ts.Err.Message != `waiting for the secret of profile "work"` || ts.Bucket != srv.Bucket() || ts.Done != us[0].Done {
		t.Fatalf("%+v %v", ts, ts.Err)
	}
	if _, err := c2.SetCredentials("work", *creds); err != nil {
		t.Fatal(err)
	}
	m2.Wait(context.Background())
	if ts := m2.Snapshot(nil)[0]; ts.State != transfer.Done {
		t.Fatalf("after the secret: %+v %v", ts, ts.Err)
	}
	got, _ := srv.ReadObject(srv.Bucket(), "big.bin")
	if !bytes.Equal(got, data) {
		t.Fatal("object differs")
	}
}
