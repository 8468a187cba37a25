package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/ossdrop/ossdrop/app"
	"github.com/ossdrop/ossdrop/settings"
	"github.com/ossdrop/ossdrop/transfer"
)

// settingsRig is a window with the real settings store (in a temp dir), a
// memory secret store, and profiles reaching a real ossemu server.
type settingsRig struct {
	*rig
	store   *settings.Store
	secrets settings.SecretStore
}

func newSettingsRig(t *testing.T) *settingsRig {
	t.Helper()
	srv := newServer(t)
	store := settings.NewStore(t.TempDir())
	secrets := settings.NewMemorySecretStore("test")
	cfg := settings.Defaults()
	work := settings.Profile{Name: "work", Endpoint: srv.URL, Bucket: srv.Bucket(), Prefix: "from-work/",
		AccessKeyID: srv.AccessKeyID, Transfer: settings.DefaultTransfer()}
	if err := cfg.Put(work); err != nil {
		t.Fatal(err)
	}
	if _, err := settings.SaveCredentials(&cfg, "work", secrets, settings.Credentials{AccessKeyID: srv.AccessKeyID, AccessKeySecret: srv.AccessKeySecret}); err != nil {
		t.Fatal(err)
	}
	if err := store.Save(cfg); err != nil {
		t.Fatal(err)
	}
	core := newTestCore(t, store.Dir(), secrets)
	// Start on a target outside the profiles, as with --endpoint.
	tgt := serverTarget(srv)
	tgt.Profile = ""
	state := t.TempDir()
	m := newManager(t, tgt, state, nil)
	a := test.NewTempApp(t)
	w := New(a, Config{Backend: m, Target: tgt, Core: core})
	useLoop(w)
	w.win.Resize(fyne.NewSize(1000, 700))
	t.Cleanup(func() {
		settle(w)
		w.win.Close()
	})
	return &settingsRig{rig: &rig{srv: srv, m: m, w: w, state: state}, store: store, secrets: secrets}
}

func TestProfileSwitchChangesDestination(t *testing.T) {
	r := newSettingsRig(t)
	if got := r.w.profile.Options; strings.Join(got, ",") != "Local bucket,work" {
		t.Fatalf("picker offers %v", got)
	}
	r.w.profile.SetSelected("work")
	settle(r.w)
	if r.w.target.Profile != "work" || r.w.prefix != "from-work/" || r.w.prefixE.Text != "from-work/" {
		t.Fatalf("after switching: profile %q prefix %q", r.w.target.Profile, r.w.prefix)
	}
	data := []byte("switched")
	p := writeFile(t, filepath.Join(t.TempDir(), "s.txt"), data)
	r.w.AddPaths([]string{p})
	r.waitFor(t, "upload", func(tt transfer.Totals) bool { return tt.Done == 1 })
	r.assertObject(t, "from-work/s.txt", data)

	// A profile whose secret is missing fails to connect with a clear error,
	// and the destination stays as it was.
	cfg := r.w.cfg
	if err := cfg.Put(settings.Profile{Name: "nosecret", Endpoint: r.srv.URL, Bucket: "local", AccessKeyID: "x",
		Transfer: settings.DefaultTransfer()}); err != nil {
		t.Fatal(err)
	}
	r.w.cfg = cfg
	r.w.profile.Options = profileNames(cfg)
	r.w.profile.SetSelected("nosecret")
	settle(r.w)
	if r.w.target.Profile != "work" || r.w.profile.Selected != "work" {
		t.Fatalf("failed switch changed the destination to %q", r.w.target.Profile)
	}
	if txt := overlayText(r.w); !strings.Contains(txt, `"nosecret"`) {
		t.Fatalf("no error naming the profile: %q", txt)
	}
}

func TestSettingsDialogEditsTestsAndSavesProfile(t *testing.T) {
	r := newSettingsRig(t)
	r.w.ShowSettings()
	s := r.w.settings
	if s == nil || s.which.Selected == "" {
		t.Fatal("settings dialog not open on a profile")
	}
	test.AssertRendersToMarkup(t, "settings_local.xml", r.w.win.Canvas())
	test.AssertRendersToImage(t, "settings_local.png", r.w.win.Canvas())

	// A new profile, typed in, tested against the server, saved.
	s.which.SetSelected(newProfileChoice())
	test.Type(s.name, "backup")
	test.Type(s.endpoint, r.srv.URL)
	test.Type(s.bucket, r.srv.Bucket())
	test.Type(s.prefix, "nightly")
	test.Type(s.keyID, r.srv.AccessKeyID)
	test.Type(s.secret, "not-the-secret")
	test.Tap(s.testButton)
	settle(r.w)
	// Plain words first; the OSS code, status and RequestId once, behind
	// "Technical details".
	if s.testResult.Importance != widget.DangerImportance || !strings.Contains(s.testResult.Text, "secret does not match") ||
		strings.Contains(s.testResult.Text, "RequestId") || strings.Contains(s.testResult.Text, "SignatureDoesNotMatch") {
		t.Fatalf("wrong secret: test says %q", s.testResult.Text)
	}
	if d := s.testDetails.Text; !s.testMore.Visible() || strings.Count(d, "RequestId") != 1 ||
		!strings.Contains(d, "SignatureDoesNotMatch") || !strings.Contains(d, "403") {
		t.Fatalf("wrong secret: details %v %q", s.testMore.Visible(), d)
	}
	s.secret.SetText(r.srv.AccessKeySecret)
	test.Tap(s.testButton)
	settle(r.w)
	if !strings.HasPrefix(s.testResult.Text, "Connected to local") || strings.Count(s.testResult.Text, "onnected") != 1 ||
		s.testMore.Visible() {
		t.Fatalf("connection test says %q (details shown: %v)", s.testResult.Text, s.testMore.Visible())
	}
	s.jobs.SetText("5")
	s.limit.SetText("2MiB")
	s.acl.SetSelected("private")
	test.Tap(findButton(t, r.w.win.Canvas(), "Save"))
	settle(r.w)
	if !strings.HasPrefix(s.saveResult.Text, "Saved") {
		t.Fatalf("save says %q", s.saveResult.Text)
	}
	if os.Getenv("OSSDROP_UI_SHOTS") != "" {
		test.AssertRendersToImage(t, "settings_saved.png", r.w.win.Canvas())
	}

	cfg, err := r.store.Load()
	if err != nil {
		t.Fatal(err)
	}
	p, ok := cfg.Profile("backup")
	if !ok || p.Transfer.Jobs != 5 || p.Transfer.LimitRate != 2<<20 || p.ACL != "private" || p.Prefix != "nightly" {
		t.Fatalf("saved profile %+v", p)
	}
	if sec, err := r.secrets.Get(settings.SecretKey("backup")); err != nil || sec != r.srv.AccessKeySecret {
		t.Fatalf("secret not in the secret store: %v", err)
	}
	raw, _ := os.ReadFile(r.store.Path())
	if strings.Contains(string(raw), r.srv.AccessKeySecret) {
		t.Fatal("the secret was written to the settings file")
	}
	if strings.Join(r.w.profile.Options, ",") != "Local bucket,work,backup" {
		t.Fatalf("picker not updated: %v", r.w.profile.Options)
	}

	// Invalid input is refused with the field named, nothing saved.
	s.taskNum.SetText("many")
	test.Tap(findButton(t, r.w.win.Canvas(), "Save"))
	settle(r.w)
	if !strings.Contains(s.saveResult.Text, "parts in parallel") {
		t.Fatalf("bad number: %q", s.saveResult.Text)
	}
	s.taskNum.SetText("4")
	s.bucket.SetText("Bad_Bucket")
	test.Tap(findButton(t, r.w.win.Canvas(), "Save"))
	settle(r.w)
	if !strings.Contains(s.saveResult.Text, "Bad_Bucket") {
		t.Fatalf("bad bucket: %q", s.saveResult.Text)
	}
	s.bucket.SetText(r.srv.Bucket())

	// "Use for new uploads" switches the window, and uploads go there with
	// the saved metadata.
	test.Tap(findButton(t, r.w.win.Canvas(), "Use for new uploads"))
	settle(r.w)
	if r.w.target.Profile != "backup" || r.w.prefix != "nightly/" {
		t.Fatalf("destination %q %q", r.w.target.Profile, r.w.prefix)
	}
	pth := writeFile(t, filepath.Join(t.TempDir(), "n.txt"), []byte("nightly"))
	r.w.AddPaths([]string{pth})
	r.waitFor(t, "upload", func(tt transfer.Totals) bool { return tt.Done == 1 })
	r.assertObject(t, "nightly/n.txt", []byte("nightly"))
	if info, ok := r.srv.Object(r.srv.Bucket(), "nightly/n.txt"); !ok || info.ACL != "private" {
		t.Fatalf("object ACL %q, want the profile's private", info.ACL)
	}

	// Behaviour: close to tray and notifications apply at once.
	s.toTray.SetChecked(true)
	s.notify.SetChecked(false)
	test.Tap(findButton(t, r.w.win.Canvas(), "Save"))
	settle(r.w)
	if !r.w.closeToTray || r.w.notifications {
		t.Fatalf("behaviour not applied: tray %v notifications %v", r.w.closeToTray, r.w.notifications)
	}
}

func TestCleanUpIncompleteUploads(t *testing.T) {
	r := newSettingsRig(t)
	// An upload someone started and never finished.
	client, err := oss.New(r.srv.URL, r.srv.AccessKeyID, r.srv.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	bkt, err := client.Bucket(r.srv.Bucket())
	if err != nil {
		t.Fatal(err)
	}
	imur, err := bkt.InitiateMultipartUpload("stray/half.bin")
	if err != nil {
		t.Fatal(err)
	}
	r.w.ShowSettings()
	s := r.w.settings
	s.tabs.SelectIndex(4)
	test.Tap(s.orphanScan)
	settle(r.w)
	if !strings.Contains(s.orphanResult.Text, "stray/half.bin") || s.orphanAbort.Disabled() {
		t.Fatalf("scan says %q", s.orphanResult.Text)
	}
	test.Tap(s.orphanAbort)
	settle(r.w)
	if !strings.HasPrefix(s.orphanResult.Text, "Aborted 1 incomplete upload") {
		t.Fatalf("abort says %q", s.orphanResult.Text)
	}
	for _, u := range r.srv.Uploads(r.srv.Bucket()) {
		if u.UploadID == imur.UploadID {
			t.Fatal("the stray upload is still on the server")
		}
	}
}

// newTestCore is the application core over the settings in dir, with secrets
// in memory and no environment.
func newTestCore(t *testing.T, dir string, secrets settings.SecretStore) *app.Core {
	t.Helper()
	root := t.TempDir()
	c := app.Open(context.Background(), app.Options{ConfigDir: dir, StateDir: filepath.Join(root, "state"),
		LocalBucketDir: filepath.Join(root, "local"), Getenv: func(string) string { return "" }, Secrets: secrets})
	t.Cleanup(func() { c.Close() })
	return c
}

// Renaming a profile in the dialog with the secret field left empty keeps
// its secret (and its id): it moves to the new name.
func TestSettingsDialogRenameKeepsTheSecret(t *testing.T) {
	r := newSettingsRig(t)
	before, _ := r.w.core.Config().Profile("work")
	want, err := r.secrets.Get(settings.SecretKey("work"))
	if err != nil {
		t.Fatal(err)
	}
	r.w.ShowSettings()
	s := r.w.settings
	s.which.SetSelected("work")
	settle(r.w)
	s.name.SetText("job")
	test.Tap(findButton(t, r.w.win.Canvas(), "Save"))
	settle(r.w)
	if !strings.HasPrefix(s.saveResult.Text, "Saved") {
		t.Fatalf("save says %q", s.saveResult.Text)
	}
	if got, err := r.secrets.Get(settings.SecretKey("job")); err != nil || got != want {
		t.Fatalf("secret after rename: %v", err)
	}
	if _, err := r.secrets.Get(settings.SecretKey("work")); err == nil {
		t.Fatal("the old name's secret is still stored")
	}
	after, ok := r.w.core.Config().Profile("job")
	if !ok || after.ID != before.ID {
		t.Fatalf("renamed profile %+v, id was %q", after, before.ID)
	}
}
