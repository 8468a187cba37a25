package ui

import (
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/ossdrop/ossdrop/app"
	"github.com/ossdrop/ossdrop/settings"
	"github.com/ossdrop/ossdrop/transfer"
)

// expiryWarning is how long before temporary credentials expire the window
// starts warning, so there is time to fetch new ones before uploads pause.
const expiryWarning = 10 * time.Minute

// expiryLayout is how expiry times are typed and shown: minutes are the
// precision STS expiries are handed out with.
const expiryLayout = "2006-01-02 15:04"

// expiryExample shows the format in placeholders (a fixed date keeps the
// dialogs' snapshots stable).
const expiryExample = "2026-11-25 18:00"

// credWaiting reports whether a task is paused because the server refused
// its (temporary) credentials or its profile's secret is not available, as
// opposed to a pause the user asked for.
func credWaiting(t *transfer.TaskSnapshot) bool {
	if t.State != transfer.Paused || t.Err == nil {
		return false
	}
	return errors.Is(t.Err, transfer.ErrCredentialsExpired) || errors.Is(t.Err, transfer.ErrWaitingForCredentials) ||
		t.Err.Code == "SecurityTokenExpired" || t.Err.Code == "InvalidSecurityToken"
}

// secretWaiting is the profile whose secret a task waits for ("" when it does
// not wait for one).
func secretWaiting(t *transfer.TaskSnapshot) string {
	var we *app.WaitingError
	if t.State == transfer.Paused && t.Err != nil && errors.As(t.Err, &we) {
		return we.Profile
	}
	return ""
}

// credState is the window's view of expired credentials: how many uploads
// wait for new ones, and whether this episode has been asked about already.
type credState struct {
	paused int  // tasks paused for credentials at the last tick
	asked  bool // the dialog was shown in this episode
	// missing is the profile whose secret uploads wait for ("" when they wait
	// for renewed STS credentials of the current target instead).
	missing string
	dialog  *renewDialog // the open renewal dialog, if any

	banner     *fyne.Container
	bannerText *widget.Label
	bannerBtn  *widget.Button
}

// buildCredBanner is the strip under the destination bar that warns before
// temporary credentials expire and, once uploads wait for new ones, offers to
// enter them. It takes no room while there is nothing to say.
func (w *Window) buildCredBanner() fyne.CanvasObject {
	c := &w.cred
	c.bannerText = widget.NewLabel("")
	c.bannerText.Importance = widget.WarningImportance
	c.bannerText.Wrapping = fyne.TextWrapWord
	c.bannerBtn = widget.NewButtonWithIcon(lang.L("Enter new credentials…"), theme.AccountIcon(), w.ShowRenewCredentials)
	c.banner = container.NewBorder(nil, nil, widget.NewIcon(theme.WarningIcon()), c.bannerBtn, c.bannerText)
	c.banner.Hide()
	return c.banner
}

// noticeCredentials runs on every apply with the number of tasks waiting for
// credentials and the profile whose secret the first of them needs: the
// first task found waiting opens the renewal dialog, once per episode (an
// episode ends when no task waits any more).
func (w *Window) noticeCredentials(n int, missing string) {
	c := &w.cred
	changed := n != c.paused || missing != c.missing
	c.paused = n
	if c.dialog == nil {
		c.missing = missing
	}
	if n == 0 {
		c.asked = false
	}
	if changed {
		if c.dialog != nil {
			c.dialog.setCount(n)
		}
		w.updateCredBanner()
	}
	if n > 0 && !c.asked && c.dialog == nil {
		c.asked = true
		w.log.Warn("uploads wait for credentials", "profile", w.credProfile(), "waiting", n)
		w.ShowRenewCredentials()
	}
}

// provider is the target's credentials when they come from settings (and so
// know their expiry), else nil.
func (w *Window) provider() *settings.Provider {
	p, _ := w.target.Credentials.(*settings.Provider)
	return p
}

// updateCredBanner shows what is known about the current credentials: uploads
// waiting for new ones, or temporary credentials about to expire.
func (w *Window) updateCredBanner() {
	c := &w.cred
	if c.banner == nil {
		return
	}
	msg := ""
	switch {
	case c.paused > 0 && c.missing != "":
		msg = lang.L("Uploads waiting for the secret of profile {{.Profile}}: {{.Count}}.",
			map[string]any{"Count": c.paused, "Profile": c.missing})
	case c.paused > 0:
		msg = lang.N("The temporary credentials for {{.Profile}} expired — {{.Count}} uploads are paused until new ones are entered.",
			c.paused, map[string]any{"Profile": w.profileLabel(), "Count": c.paused})
	default:
		if p := w.provider(); p != nil {
			st := p.Status(time.Now(), expiryWarning)
			switch st.State {
			case settings.ExpiringSoon:
				msg = lang.L("The temporary credentials for {{.Profile}} expire in {{.Left}} (at {{.At}}); uploads will pause then until new ones are entered.",
					map[string]any{"Profile": w.profileLabel(), "Left": roughDuration(st.Left), "At": st.Expiry.Local().Format("15:04")})
			case settings.Expired:
				msg = lang.L("The temporary credentials for {{.Profile}} expired at {{.At}}; new uploads will pause until new ones are entered.",
					map[string]any{"Profile": w.profileLabel(), "At": st.Expiry.Local().Format(expiryLayout)})
			}
		}
	}
	if msg == "" {
		if c.banner.Visible() {
			c.banner.Hide()
		}
		return
	}
	setText(c.bannerText, msg)
	if !c.banner.Visible() {
		c.banner.Show()
	}
}

func (w *Window) profileLabel() string {
	if w.target.Profile != "" {
		return w.target.Profile
	}
	return w.target.Bucket
}

// renewDialog asks for new credentials for the current destination.
type renewDialog struct {
	w                    *Window
	profile              string // whose credentials are asked for
	d                    dialog.Dialog
	head                 *widget.Label
	keyID, secret, token *widget.Entry
	expiry               *widget.Entry
	result               *widget.Label
}

// ShowRenewCredentials asks for new credentials for the current destination;
// saving them stores them with the profile (secret and token in the keyring)
// and resumes the uploads that were paused for want of them.
func (w *Window) ShowRenewCredentials() {
	if w.cred.dialog != nil {
		return
	}
	r := &renewDialog{w: w}
	r.head = widget.NewLabel("")
	r.head.Wrapping = fyne.TextWrapWord
	r.keyID = widget.NewEntry()
	r.keyID.SetPlaceHolder("STS.…")
	r.profile = w.credProfile()
	if r.profile != w.target.Profile {
		if p, ok := w.cfg.Profile(r.profile); ok {
			r.keyID.SetText(p.AccessKeyID)
		}
	} else if p := w.provider(); p != nil {
		r.keyID.SetText(p.Credentials().AccessKeyID)
	}
	r.secret = widget.NewPasswordEntry()
	r.secret.SetPlaceHolder(lang.L("AccessKey secret"))
	r.token = widget.NewPasswordEntry()
	r.token.SetPlaceHolder("SecurityToken")
	r.expiry = widget.NewEntry()
	r.expiry.SetPlaceHolder(lang.L("optional: {{.Example}}, 2026-11-25T10:00:00Z or 1h", map[string]any{"Example": expiryExample}))
	r.result = widget.NewLabel("")
	r.result.Wrapping = fyne.TextWrapWord
	r.result.Importance = widget.DangerImportance
	r.result.Hide()
	where := widget.NewLabel(w.renewWhere())
	where.Wrapping = fyne.TextWrapWord
	where.Importance = widget.LowImportance
	form := widget.NewForm(
		widget.NewFormItem(lang.L("AccessKey ID"), r.keyID),
		widget.NewFormItem(lang.L("AccessKey secret"), r.secret),
		widget.NewFormItem(lang.L("STS token"), r.token),
		widget.NewFormItem(lang.L("Expires"), r.expiry),
	)
	save := widget.NewButtonWithIcon(lang.L("Save and resume"), theme.ConfirmIcon(), r.save)
	r.secret.OnSubmitted = func(string) { r.save() } // Enter in the secret field saves
	save.Importance = widget.HighImportance
	later := widget.NewButton(lang.L("Later"), func() { r.d.Hide() })
	content := container.NewVBox(r.head, form, where, r.result, container.NewHBox(layout.NewSpacer(), later, save))
	title := lang.L("New credentials needed")
	if w.cred.missing != "" {
		title = lang.L("Secret needed")
	}
	r.d = dialog.NewCustomWithoutButtons(title, content, w.win)
	r.d.SetOnClosed(func() { w.cred.dialog = nil })
	r.setCount(w.cred.paused)
	w.cred.dialog = r
	r.d.Resize(fyne.NewSize(560, content.MinSize().Height+60))
	r.d.Show()
	w.win.Canvas().Focus(r.secret)
}

// credProfile is the profile the credentials dialog asks for: the one uploads
// wait for the secret of, else the current destination's.
func (w *Window) credProfile() string {
	if w.cred.missing != "" {
		return w.cred.missing
	}
	return w.target.Profile
}

// renewWhere says where the new credentials will be kept.
func (w *Window) renewWhere() string {
	if _, ok := w.renewProfile(w.credProfile()); ok {
		return secretStateText(w.core.SecretState())
	}
	return lang.L("These credentials are used until ossdrop exits; they are not saved because this destination is not a saved profile (or its credentials come from the environment).")
}

// renewProfile is the saved profile new credentials for name are stored
// with, if any.
func (w *Window) renewProfile(name string) (settings.Profile, bool) {
	if w.core == nil || name == "" {
		return settings.Profile{}, false
	}
	if p := w.provider(); name == w.target.Profile && p != nil && p.Source() == settings.SourceEnvironment {
		return settings.Profile{}, false
	}
	p, ok := w.cfg.Profile(name)
	if !ok || p.Local {
		return settings.Profile{}, false
	}
	return p, true
}

func (r *renewDialog) setCount(n int) {
	if r.w.cred.missing != "" {
		r.head.SetText(lang.L("Uploads waiting for the secret of profile {{.Profile}}: {{.Count}}. Enter it to continue them all.",
			map[string]any{"Count": n, "Profile": r.profile}))
		return
	}
	if n > 0 {
		r.head.SetText(lang.N("The temporary credentials for {{.Profile}} expired — {{.Count}} uploads are paused. Enter new ones to continue.",
			n, map[string]any{"Profile": r.w.profileLabel(), "Count": n}))
		return
	}
	r.head.SetText(lang.L("Enter new credentials for {{.Profile}}. Uploads that pause because credentials expired continue with them.", map[string]any{"Profile": r.w.profileLabel()}))
}

// credentials reads and checks the form.
func (r *renewDialog) credentials(now time.Time) (settings.Credentials, error) {
	c := settings.Credentials{
		AccessKeyID:     strings.TrimSpace(r.keyID.Text),
		AccessKeySecret: strings.TrimSpace(r.secret.Text),
		SecurityToken:   strings.TrimSpace(r.token.Text),
	}
	var errs []error
	if c.AccessKeyID == "" {
		errs = append(errs, errors.New(lang.L("Enter the AccessKey ID")))
	}
	if c.AccessKeySecret == "" {
		errs = append(errs, errors.New(lang.L("Enter the AccessKey secret")))
	}
	exp, err := parseExpiry(r.expiry.Text, now)
	if err != nil {
		errs = append(errs, err)
	}
	c.Expiry = exp
	if c.SecurityToken == "" && !exp.IsZero() {
		errs = append(errs, errors.New(lang.L("An expiry needs an STS token: long-term AccessKeys do not expire")))
	}
	return c, errors.Join(errs...)
}

// parseExpiry reads when temporary credentials expire: a local time
// ("2026-11-25 18:00"), an RFC 3339 time as STS prints it
// ("2026-11-25T10:00:00Z"), or a duration from now ("1h", "45m"). Empty means
// not known.
func parseExpiry(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	var t time.Time
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, errors.New(lang.L("Expiry “{{.Value}}”: give a time still to come", map[string]any{"Value": s}))
		}
		t = now.Add(d)
	} else if t, err = time.Parse(time.RFC3339, s); err != nil {
		if t, err = time.ParseInLocation(expiryLayout, s, time.Local); err != nil {
			return time.Time{}, errors.New(lang.L("Expiry “{{.Value}}” is not a time: write it like {{.Local}}, {{.UTC}} or 1h",
				map[string]any{"Value": s, "Local": now.Add(time.Hour).Format(expiryLayout), "UTC": now.Add(time.Hour).UTC().Format(time.RFC3339)}))
		}
	}
	if !t.After(now) {
		return time.Time{}, errors.New(lang.L("Expiry {{.Time}} has already passed", map[string]any{"Time": t.Local().Format(expiryLayout)}))
	}
	return t, nil
}

// save stores the credentials with the profile when there is one, hands them
// to the Manager (which resumes the paused uploads), and closes the dialog.
func (r *renewDialog) save() {
	w := r.w
	c, err := r.credentials(time.Now())
	if err != nil {
		r.result.SetText(lang.L("Not saved: ") + problemText(err))
		r.result.Show()
		return
	}
	w.renewCredentials(r.profile, c, func(err error) {
		if err != nil {
			r.result.SetText(lang.L("Not saved: ") + problemText(err))
			r.result.Show()
			return
		}
		r.d.Hide()
	})
}

// renewCredentials keeps c for the named profile (in the profile and the
// secret store when it is a saved profile; the core then resumes the uploads
// waiting for it) and gives it to the Manager when it is the current
// destination's. The keyring is written on another goroutine; done runs on the
// UI goroutine with the outcome.
func (w *Window) renewCredentials(name string, c settings.Credentials, done func(error)) {
	if _, ok := w.renewProfile(name); !ok {
		src := settings.SourceStored
		if p := w.provider(); p != nil {
			src = p.Source()
		}
		w.useCredentials(settings.NewProvider(c, src))
		done(nil)
		return
	}
	core := w.core
	w.goAsync(func() func() {
		prov, err := core.SetCredentials(name, c)
		cfg := core.Config()
		return func() {
			if err == nil {
				w.cfg = cfg
				if w.settings != nil {
					w.settings.cfg.Profiles = cfg.Profiles
				}
				if name == w.target.Profile {
					w.useCredentials(prov)
				}
				w.cred.missing = ""
				w.updateCredBanner()
			}
			done(err)
		}
	})
}

func (w *Window) useCredentials(prov *settings.Provider) {
	w.target.Credentials = prov
	w.be.SetCredentials(prov)
	w.log.Info("credentials renewed", "profile", w.target.Profile, "credentials", prov)
	w.updateCredBanner()
}

// expiryCheck is how often the expiry warning is brought up to date while no
// upload changes.
const expiryCheck = 10 * time.Second
