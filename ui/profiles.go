package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2/lang"
	"github.com/ossdrop/ossdrop/settings"
	"github.com/ossdrop/ossdrop/transfer"
)

// connectTimeout bounds a profile switch: a keyring prompt nobody answers
// must not leave the window waiting forever.
const connectTimeout = 20 * time.Second

// profileNames lists the profiles for the destination picker.
func profileNames(c settings.Config) []string {
	out := make([]string, 0, len(c.Profiles))
	for _, p := range c.Profiles {
		out = append(out, p.Name)
	}
	return out
}

// profileChosen runs when the user picks a profile in the destination bar.
func (w *Window) profileChosen(name string) {
	if name == w.target.Profile || w.core == nil {
		return
	}
	p, ok := w.cfg.Profile(name)
	if !ok {
		w.showError(problem(lang.L("Profile {{.Name}} is not in the settings any more", map[string]any{"Name": name}), nil))
		return
	}
	w.useProfile(p, nil)
}

// useProfile connects to p off the UI goroutine and then makes it the
// destination for later drops; uploads already queued keep their target.
// done, when set, runs on the UI goroutine afterwards with the outcome.
func (w *Window) useProfile(p settings.Profile, done func(error)) {
	w.profile.Disable()
	w.goAsync(func() func() {
		ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
		defer cancel()
		t, err := w.core.Target(ctx, p)
		return func() {
			w.profile.Enable()
			if err != nil {
				w.profile.SetSelected(w.target.Profile)
				w.showError(problem(lang.L("Cannot use profile {{.Name}}", map[string]any{"Name": p.Name}), err))
			} else {
				w.switchTarget(p, t)
			}
			if done != nil {
				done(err)
			}
		}
	})
}

// switchTarget makes p (reached through t) the destination and applies its
// transfer options to the Manager.
func (w *Window) switchTarget(p settings.Profile, t transfer.Target) {
	w.target = t
	w.be.SetTarget(t)
	if err := w.be.SetOptions(p.Options()); err != nil {
		w.showError(problem(lang.L("The transfer settings of profile {{.Name}} cannot be applied", map[string]any{"Name": p.Name}), err))
	}
	w.setSelectedQuietly(p.Name)
	w.bucket.SetText(t.Bucket)
	w.prefixE.SetText(p.Prefix)
	w.prefix = normalizePrefix(p.Prefix)
	w.updateDropText()
	w.updateCredBanner()
	w.log.Info("destination changed", "profile", p.Name, "bucket", t.Bucket, "endpoint", t.Endpoint)
}

// setSelectedQuietly selects a profile in the picker without treating it as
// a user's choice.
func (w *Window) setSelectedQuietly(name string) {
	f := w.profile.OnChanged
	w.profile.OnChanged = nil
	w.profile.SetSelected(name)
	w.profile.OnChanged = f
}

// goAsync runs work on its own goroutine and applies the UI change it returns
// on the UI goroutine. Tests wait for both with settle.
func (w *Window) goAsync(work func() func()) {
	w.bg.Add(1)
	go func() {
		defer w.bg.Done()
		apply := work()
		if apply != nil {
			w.do(apply)
		}
	}()
}
