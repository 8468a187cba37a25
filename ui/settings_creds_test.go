package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"github.com/ossdrop/ossdrop/settings"
	"github.com/ossdrop/ossdrop/transfer"
)

func TestSettingsDialogSTSTokenAndExpiry(t *testing.T) {
	r := newSettingsRig(t)
	r.srv.SetSecurityToken("sts-token-1", time.Time{})
	r.w.ShowSettings()
	s := r.w.settings
	s.which.SetSelected("work")
	save := findButton(t, r.w.win.Canvas(), "Save")

	// A token alone, or an expiry alone, is refused with the field named.
	test.Type(s.token, "sts-token-1")
	test.Tap(save)
	settle(r.w)
	if !strings.Contains(s.saveResult.Text, "AccessKey secret") || !strings.Contains(s.saveResult.Text, "STS token") {
		t.Fatalf("token without secret: %q", s.saveResult.Text)
	}
	test.Type(s.secret, r.srv.AccessKeySecret)
	test.Type(s.expiry, "next week")
	test.Tap(save)
	settle(r.w)
	if !strings.Contains(s.saveResult.Text, "STS expiry") || !strings.Contains(s.saveResult.Text, "not a time") {
		t.Fatalf("bad expiry: %q", s.saveResult.Text)
	}
	s.expiry.SetText("90m")
	test.Tap(save)
	settle(r.w)
	if !strings.HasPrefix(s.saveResult.Text, "Saved") {
		t.Fatalf("save says %q", s.saveResult.Text)
	}
	if tok, err := r.secrets.Get(settings.TokenKey("work")); err != nil || tok != "sts-token-1" {
		t.Fatalf("token in the secret store: %q %v", tok, err)
	}
	cfg, err := r.store.Load()
	if err != nil {
		t.Fatal(err)
	}
	p, _ := cfg.Profile("work")
	if left := time.Until(p.STSExpiry); left < 80*time.Minute || left > 90*time.Minute {
		t.Fatalf("saved expiry %v", p.STSExpiry)
	}
	raw, _ := os.ReadFile(r.store.Path())
	if strings.Contains(string(raw), "sts-token-1") {
		t.Fatal("the STS token was written to the settings file")
	}

	// Reloaded, the form shows the expiry and keeps the token when saved
	// again without retyping.
	s.which.SetSelected(settings.LocalProfileName)
	s.which.SetSelected("work")
	settle(r.w) // whether a secret is stored is asked off the UI goroutine
	if s.expiry.Text != p.STSExpiry.Local().Format(expiryLayout) || !strings.Contains(s.secretNote.Text, "expire at") {
		t.Fatalf("reloaded expiry %q, note %q", s.expiry.Text, s.secretNote.Text)
	}
	test.Tap(save)
	settle(r.w)
	if !strings.HasPrefix(s.saveResult.Text, "Saved") {
		t.Fatalf("resave says %q", s.saveResult.Text)
	}
	s.expiry.SetText("3h")
	test.Tap(save)
	settle(r.w)
	if !strings.Contains(s.saveResult.Text, "enter the AccessKey secret and STS token again") {
		t.Fatalf("expiry edit without secret: %q", s.saveResult.Text)
	}
	s.expiry.SetText(s.expiryLoaded)

	// The server needs the token: an upload with the profile proves it got there.
	test.Tap(findButton(t, r.w.win.Canvas(), "Use for new uploads"))
	settle(r.w)
	if r.w.target.Profile != "work" {
		t.Fatalf("destination %q", r.w.target.Profile)
	}
	data := []byte("signed with a token")
	r.w.AddPaths([]string{writeFile(t, filepath.Join(t.TempDir(), "t.txt"), data)})
	r.waitFor(t, "upload", func(tt transfer.Totals) bool { return tt.Done == 1 || tt.Failed == 1 })
	r.assertObject(t, "from-work/t.txt", data)
}

func TestSettingsDialogSecretStoreStateAndFileOptIn(t *testing.T) {
	r := newSettingsRig(t)
	r.w.ShowSettings()
	s := r.w.settings
	s.which.SetSelected("work")
	s.tabs.SelectIndex(3)
	if !strings.Contains(s.secretsState.Text, "kept in memory only") || !strings.Contains(s.secretNote.Text, "kept in memory only") {
		t.Fatalf("memory store described as %q / %q", s.secretsState.Text, s.secretNote.Text)
	}
	// The store's technical reason ("test" here) is not in the sentence, but
	// behind "Technical details".
	if strings.Contains(s.secretsState.Text, "test") || s.secretsWhy.Text != "test" {
		t.Fatalf("reason in the message %q, in the details %q", s.secretsState.Text, s.secretsWhy.Text)
	}
	if s.secretsInFile.Checked || s.secretsWarn.Visible() {
		t.Fatal("the file opt-in is on by default")
	}
	test.Tap(s.secretsInFile)
	path := filepath.Join(r.store.Dir(), settings.SecretsFileName)
	if !s.secretsWarn.Visible() || !strings.Contains(s.secretsWarn.Text, "unencrypted") || !strings.Contains(s.secretsWarn.Text, path) {
		t.Fatalf("warning %v %q", s.secretsWarn.Visible(), s.secretsWarn.Text)
	}
	test.Tap(findButton(t, r.w.win.Canvas(), "Save"))
	settle(r.w)
	cfg, err := r.store.Load()
	if err != nil || !cfg.App.SecretsInFile {
		t.Fatalf("opt-in not saved: %v %+v", err, cfg.App)
	}
	test.Tap(s.secretsInFile)
	if s.secretsWarn.Visible() {
		t.Fatalf("warning still shown: %q", s.secretsWarn.Text)
	}
	test.Tap(findButton(t, r.w.win.Canvas(), "Save"))
	settle(r.w)
	if cfg, _ := r.store.Load(); cfg.App.SecretsInFile {
		t.Fatal("opt-out not saved")
	}
}

func TestImportFromOssutil(t *testing.T) {
	r := newSettingsRig(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	conf := filepath.Join(home, ".ossutilconfig")
	r.w.ShowSettings()
	s := r.w.settings
	test.Tap(findButton(t, r.w.win.Canvas(), "Import from ossutil…"))
	importB := findButton(t, r.w.win.Canvas(), "Import")
	if txt := overlayText(r.w); !strings.Contains(txt, "secret store") {
		t.Fatalf("import dialog says %q", txt)
	}
	im := s.importing
	if im == nil {
		t.Fatal("no import dialog")
	}
	if im.path.Text != conf {
		t.Fatalf("default path %q, want %q", im.path.Text, conf)
	}

	// Each problem is named, and nothing is added.
	test.Tap(importB)
	settle(r.w)
	if !strings.Contains(im.result.Text, "does not exist") {
		t.Fatalf("missing file: %q", im.result.Text)
	}
	writeFile(t, conf, []byte("[Credentials\nendpoint = x\n"))
	test.Tap(importB)
	settle(r.w)
	if !strings.Contains(im.result.Text, "is not a valid INI file") || !strings.Contains(im.result.Text, conf) {
		t.Fatalf("broken file: %q", im.result.Text)
	}
	writeFile(t, conf, []byte("[Credentials]\nendpoint = "+r.srv.URL+"\naccessKeyID = "+r.srv.AccessKeyID+"\n"))
	test.Tap(importB)
	settle(r.w)
	if !strings.Contains(im.result.Text, "accessKeySecret") {
		t.Fatalf("no secret: %q", im.result.Text)
	}
	writeFile(t, conf, []byte("[Credentials]\nlanguage = EN\nendpoint = "+r.srv.URL+"\naccessKeyID = "+r.srv.AccessKeyID+
		"\naccessKeySecret = "+r.srv.AccessKeySecret+"\n"))
	test.Tap(importB)
	settle(r.w)
	if !strings.Contains(im.result.Text, "names no bucket") {
		t.Fatalf("no bucket: %q", im.result.Text)
	}
	test.Type(im.bucket, r.srv.Bucket())
	test.Type(im.name, "work")
	test.Tap(importB)
	settle(r.w)
	if !strings.Contains(im.result.Text, "another profile has this name") {
		t.Fatalf("name taken: %q", im.result.Text)
	}
	if cfg, _ := r.store.Load(); len(cfg.Profiles) != 2 {
		t.Fatalf("failed imports changed the settings: %+v", cfg.Profiles)
	}
	if strings.Contains(overlayText(r.w), r.srv.AccessKeySecret) {
		t.Fatal("an error message shows the secret")
	}

	im.name.SetText("from ossutil")
	test.Tap(importB)
	settle(r.w)
	if !strings.Contains(s.saveResult.Text, "Imported from ossutil") {
		t.Fatalf("import says %q / %q", s.saveResult.Text, im.result.Text)
	}
	cfg, err := r.store.Load()
	if err != nil {
		t.Fatal(err)
	}
	p, ok := cfg.Profile("from ossutil")
	if !ok || p.Bucket != r.srv.Bucket() || p.AccessKeyID != r.srv.AccessKeyID {
		t.Fatalf("imported profile %+v", p)
	}
	if sec, err := r.secrets.Get(settings.SecretKey("from ossutil")); err != nil || sec != r.srv.AccessKeySecret {
		t.Fatalf("secret not in the store: %v", err)
	}
	raw, _ := os.ReadFile(r.store.Path())
	if strings.Contains(string(raw), r.srv.AccessKeySecret) {
		t.Fatal("the secret was written to the settings file")
	}
	if s.which.Selected != "from ossutil" || s.bucket.Text != r.srv.Bucket() {
		t.Fatalf("dialog shows %q", s.which.Selected)
	}

	// The imported profile really uploads.
	test.Tap(findButton(t, r.w.win.Canvas(), "Use for new uploads"))
	settle(r.w)
	data := []byte("imported")
	r.w.AddPaths([]string{writeFile(t, filepath.Join(t.TempDir(), "i.txt"), data)})
	r.waitFor(t, "upload", func(tt transfer.Totals) bool { return tt.Done == 1 || tt.Failed == 1 })
	r.assertObject(t, "i.txt", data)
}
