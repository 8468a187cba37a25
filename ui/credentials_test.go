package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/ossdrop/ossdrop/ossemu"
	"github.com/ossdrop/ossdrop/settings"
	"github.com/ossdrop/ossdrop/transfer"
)

// stsRig is a window whose destination is a saved profile holding temporary
// (STS) credentials, against a server that requires the STS token.
type stsRig struct {
	*settingsRig
	prov *settings.Provider
}

func newSTSRig(t *testing.T, expiry time.Time) *stsRig {
	t.Helper()
	srv := newServer(t)
	srv.SetSecurityToken("token-one", time.Time{})
	store := settings.NewStore(t.TempDir())
	secrets := settings.NewMemorySecretStore("test")
	cfg := settings.Defaults()
	if err := cfg.Put(settings.Profile{Name: "sts", Endpoint: srv.URL, Bucket: srv.Bucket(), Prefix: "sts/",
		AccessKeyID: srv.AccessKeyID, Transfer: settings.DefaultTransfer()}); err != nil {
		t.Fatal(err)
	}
	if _, err := settings.SaveCredentials(&cfg, "sts", secrets, settings.Credentials{AccessKeyID: srv.AccessKeyID,
		AccessKeySecret: srv.AccessKeySecret, SecurityToken: "token-one", Expiry: expiry}); err != nil {
		t.Fatal(err)
	}
	if err := store.Save(cfg); err != nil {
		t.Fatal(err)
	}
	p, _ := cfg.Profile("sts")
	core := newTestCore(t, store.Dir(), secrets)
	tgt, err := core.Target(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	prov := tgt.Credentials.(*settings.Provider)
	state := t.TempDir()
	m := newManager(t, tgt, state, func(o *transfer.Options) { o.TaskNum = 1 })
	a := test.NewTempApp(t)
	w := New(a, Config{Backend: m, Target: tgt, Prefix: p.Prefix, Core: core})
	useLoop(w)
	w.win.Resize(fyne.NewSize(1000, 700))
	t.Cleanup(func() {
		settle(w)
		w.win.Close()
	})
	return &stsRig{settingsRig: &settingsRig{rig: &rig{srv: srv, m: m, w: w, state: state}, store: store, secrets: secrets}, prov: prov}
}

// countDialogs counts the renewal dialogs among the canvas overlays.
func countDialogs(w *Window, title string) int {
	n := 0
	for _, o := range w.win.Canvas().Overlays().List() {
		if strings.Contains(overlayTextOf(o), title) {
			n++
		}
	}
	return n
}

func TestExpiredSTSPausesAndAsksForNewCredentials(t *testing.T) {
	r := newSTSRig(t, time.Now().Add(time.Hour))
	// 150 KB/s per part request makes the 1 MB upload last long enough to
	// expire the token half-way through.
	slow := r.srv.Inject(ossemu.Fault{Match: ossemu.MatchOp("UploadPart"), Bandwidth: 150 << 10})
	defer slow()
	data := randBytes(1<<20, 11)
	p := writeFile(t, filepath.Join(t.TempDir(), "sts.bin"), data)
	r.w.AddPaths([]string{p})
	r.waitFor(t, "upload to start", func(tt transfer.Totals) bool { return tt.Active == 1 })
	id := r.w.list.tasks()[0].ID
	r.waitTask(t, "some parts", id, func(s transfer.TaskSnapshot) bool { return s.Done > 0 })

	// The server says the token has expired: the engine pauses the task.
	r.srv.SetSecurityToken("token-one", time.Now().Add(-time.Second))
	paused := r.waitTask(t, "paused for credentials", id, func(s transfer.TaskSnapshot) bool { return s.State == transfer.Paused })
	if !credWaiting(&paused) {
		t.Fatalf("task paused without a credentials error: %+v", paused.Err)
	}
	const title = "New credentials needed"
	txt := overlayText(r.w)
	if !strings.Contains(txt, "The temporary credentials for sts expired — 1 upload is paused") {
		t.Fatalf("renewal dialog says %q", txt)
	}
	if !strings.Contains(r.w.cred.bannerText.Text, "1 upload is paused") || !r.w.cred.banner.Visible() {
		t.Fatalf("banner says %q (visible %v)", r.w.cred.bannerText.Text, r.w.cred.banner.Visible())
	}
	// Once per episode, not once per tick.
	for range 3 {
		r.w.sync()
	}
	if n := countDialogs(r.w, title); n != 1 {
		t.Fatalf("%d renewal dialogs after more ticks", n)
	}
	d := r.w.cred.dialog
	if d == nil {
		t.Fatal("no renewal dialog")
	}
	if d.keyID.Text != r.srv.AccessKeyID {
		t.Errorf("key id not prefilled: %q", d.keyID.Text)
	}

	// Each mistake gets a clear message and saves nothing.
	save := findButton(t, r.w.win.Canvas(), "Save and resume")
	test.Tap(save)
	settle(r.w)
	if !strings.Contains(d.result.Text, "Enter the AccessKey secret") {
		t.Fatalf("empty secret: %q", d.result.Text)
	}
	test.Type(d.secret, r.srv.AccessKeySecret)
	test.Type(d.expiry, "tomorrow-ish")
	test.Tap(save)
	settle(r.w)
	if !strings.Contains(d.result.Text, `Expiry “tomorrow-ish” is not a time`) {
		t.Fatalf("bad expiry: %q", d.result.Text)
	}
	d.expiry.SetText(time.Now().Add(-time.Hour).Format(expiryLayout))
	test.Tap(save)
	settle(r.w)
	if !strings.Contains(d.result.Text, "has already passed") {
		t.Fatalf("past expiry: %q", d.result.Text)
	}
	d.expiry.SetText("2h")
	test.Tap(save)
	settle(r.w)
	if !strings.Contains(d.result.Text, "needs an STS token") {
		t.Fatalf("expiry without token: %q", d.result.Text)
	}
	if got := r.srv.Requests("UploadPart"); got == 0 {
		t.Fatal("no parts reached the server")
	}
	st := r.w.list.tasks()[0]
	if st.State != transfer.Paused {
		t.Fatalf("task %s before the new credentials were saved", st.State)
	}

	// The new token, saved: the dialog goes, the upload resumes and lands.
	r.srv.SetSecurityToken("token-two", time.Time{})
	slow()
	test.Type(d.token, "token-two")
	test.Tap(save)
	settle(r.w)
	if r.w.cred.dialog != nil || countDialogs(r.w, title) != 0 {
		t.Fatalf("dialog still open: %q", d.result.Text)
	}
	r.waitTask(t, "done after renewal", id, func(s transfer.TaskSnapshot) bool { return s.State == transfer.Done })
	r.assertObject(t, "sts/sts.bin", data)
	if r.w.cred.banner.Visible() {
		t.Errorf("banner still shown: %q", r.w.cred.bannerText.Text)
	}

	// Stored like any credentials: token in the secret store, expiry in the
	// profile, neither secret in the settings file.
	if tok, err := r.secrets.Get(settings.TokenKey("sts")); err != nil || tok != "token-two" {
		t.Fatalf("token in the secret store: %q, %v", tok, err)
	}
	cfg, err := r.store.Load()
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := cfg.Profile("sts")
	if left := time.Until(sp.STSExpiry); left < time.Hour || left > 2*time.Hour {
		t.Fatalf("saved expiry %v", sp.STSExpiry)
	}
	raw, _ := os.ReadFile(r.store.Path())
	if strings.Contains(string(raw), "token-two") || strings.Contains(string(raw), r.srv.AccessKeySecret) {
		t.Fatal("a secret was written to the settings file")
	}

	// A second expiry is a new episode: it asks again.
	slow2 := r.srv.Inject(ossemu.Fault{Match: ossemu.MatchOp("UploadPart"), Bandwidth: 150 << 10})
	defer slow2()
	p2 := writeFile(t, filepath.Join(t.TempDir(), "again.bin"), data[:600_000])
	r.w.AddPaths([]string{p2})
	r.waitFor(t, "second upload to start", func(tt transfer.Totals) bool { return tt.Active == 1 && tt.BytesDone > int64(len(data)) })
	r.srv.SetSecurityToken("token-three", time.Time{}) // the server no longer accepts token-two
	r.waitFor(t, "second pause", func(tt transfer.Totals) bool { return tt.Paused == 1 })
	if countDialogs(r.w, title) != 1 || r.w.cred.dialog == nil {
		t.Fatal("the second expiry did not ask again")
	}
	slow2()
	d = r.w.cred.dialog
	test.Type(d.secret, r.srv.AccessKeySecret)
	test.Type(d.token, "token-three")
	test.Tap(findButton(t, r.w.win.Canvas(), "Save and resume"))
	settle(r.w)
	r.waitFor(t, "second upload done", func(tt transfer.Totals) bool { return tt.Done == 2 })
	r.assertObject(t, "sts/again.bin", data[:600_000])
}

func TestRenewDialogLaterAndBannerReopens(t *testing.T) {
	r := newSTSRig(t, time.Now().Add(time.Hour))
	slow := r.srv.Inject(ossemu.Fault{Match: ossemu.MatchOp("UploadPart"), Bandwidth: 150 << 10})
	defer slow()
	data := randBytes(500_000, 12)
	r.w.AddPaths([]string{writeFile(t, filepath.Join(t.TempDir(), "later.bin"), data)})
	r.waitFor(t, "some bytes", func(tt transfer.Totals) bool { return tt.BytesDone > 0 })
	r.srv.SetSecurityToken("token-new", time.Time{})
	r.waitFor(t, "paused", func(tt transfer.Totals) bool { return tt.Paused == 1 })
	test.Tap(findButton(t, r.w.win.Canvas(), "Later"))
	r.w.sync()
	if r.w.cred.dialog != nil || countDialogs(r.w, "New credentials needed") != 0 {
		t.Fatal("Later did not close the dialog, or a tick reopened it")
	}
	// The banner keeps the way back.
	test.Tap(r.w.cred.bannerBtn)
	d := r.w.cred.dialog
	if d == nil {
		t.Fatal("banner button opened no dialog")
	}
	slow()
	test.Type(d.secret, r.srv.AccessKeySecret)
	test.Type(d.token, "token-new")
	test.Tap(findButton(t, r.w.win.Canvas(), "Save and resume"))
	settle(r.w)
	r.waitFor(t, "done", func(tt transfer.Totals) bool { return tt.Done == 1 })
	r.assertObject(t, "sts/later.bin", data)
}

func TestExpiryWarningBanner(t *testing.T) {
	r := newSTSRig(t, time.Now().Add(4*time.Minute+20*time.Second))
	r.w.sync()
	if !r.w.cred.banner.Visible() || !strings.Contains(r.w.cred.bannerText.Text, "expire in 4 min") {
		t.Fatalf("banner %v %q", r.w.cred.banner.Visible(), r.w.cred.bannerText.Text)
	}
	// Fresh credentials with an hour left: nothing to warn about, and the
	// upload goes through with the token.
	test.Tap(r.w.cred.bannerBtn)
	d := r.w.cred.dialog
	test.Type(d.secret, r.srv.AccessKeySecret)
	test.Type(d.token, "token-one")
	test.Type(d.expiry, "1h")
	test.Tap(findButton(t, r.w.win.Canvas(), "Save and resume"))
	settle(r.w)
	if r.w.cred.banner.Visible() {
		t.Fatalf("banner still says %q", r.w.cred.bannerText.Text)
	}
	data := []byte("with a token")
	r.w.AddPaths([]string{writeFile(t, filepath.Join(t.TempDir(), "tok.txt"), data)})
	r.waitFor(t, "done", func(tt transfer.Totals) bool { return tt.Done == 1 })
	r.assertObject(t, "sts/tok.txt", data)
}

func TestParseExpiry(t *testing.T) {
	now := time.Date(2026, 11, 25, 17, 0, 0, 0, time.Local)
	for _, c := range []struct {
		in   string
		want time.Time
		err  string
	}{
		{"", time.Time{}, ""},
		{"1h", now.Add(time.Hour), ""},
		{" 45m ", now.Add(45 * time.Minute), ""},
		{"2026-11-25 18:00", time.Date(2026, 11, 25, 18, 0, 0, 0, time.Local), ""},
		{"2026-11-26T10:00:00Z", time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), ""},
		{"-5m", time.Time{}, "still to come"},
		{"2026-11-25 16:00", time.Time{}, "already passed"},
		{"soon", time.Time{}, `Expiry “soon” is not a time`},
	} {
		got, err := parseExpiry(c.in, now)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !got.Equal(c.want) {
			t.Errorf("%q: %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}
