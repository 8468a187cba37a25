package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/ossdrop/ossdrop/settings"
	"github.com/ossdrop/ossdrop/transfer"
)

// discardTimeout bounds aborting the multipart uploads of discarded records.
const discardTimeout = 2 * time.Minute

// OfferResume deals with uploads a previous run left unfinished, as policy
// says: resume them all, leave them, or ask with Resume all / Choose /
// Discard. Records that cannot be read are never resumed; they are named in
// the dialog (or in an error with policy "always") so nothing is lost silently.
func (w *Window) OfferResume(items []transfer.Unfinished, policy settings.ResumePolicy) {
	if len(items) == 0 || policy == settings.ResumeNever {
		return
	}
	good, bad := splitUnfinished(items)
	if len(good) == 0 && len(bad) == 0 {
		return
	}
	if policy == settings.ResumeAlways {
		w.be.ResumeUnfinished(good)
		if len(bad) > 0 {
			w.showError(problemWithDetails(lang.N("{{.Count}} unfinished uploads could not be resumed:", len(bad), map[string]any{"Count": count(len(bad))})+"\n"+badText(bad), badTechnical(bad)))
		}
		return
	}
	w.askResume(good, bad)
}

// splitUnfinished sorts records into resumable and unreadable ones. Uploads
// another ossdrop process is running right now are neither: they are not
// unfinished from this window's point of view, and offering them would only
// produce skipped rows.
func splitUnfinished(items []transfer.Unfinished) (good, bad []transfer.Unfinished) {
	for _, u := range items {
		if u.InUse {
			continue
		}
		// A walk's Key is its prefix, empty by default.
		if u.Err != nil || u.Path == "" || (u.Key == "" && !u.Walk) {
			bad = append(bad, u)
		} else {
			good = append(good, u)
		}
	}
	return good, bad
}

// badText names the first unreadable records and why, in the window's
// language.
func badText(bad []transfer.Unfinished) string {
	var b strings.Builder
	for i, u := range bad {
		if i == 10 {
			b.WriteString(lang.L("… and {{.Count}} more", map[string]any{"Count": count(len(bad) - i)}) + "\n")
			break
		}
		b.WriteString(labelled(unfinishedName(u), unfinishedWhy(u)) + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// badTechnical is every unreadable record's exact error, for the technical
// details.
func badTechnical(bad []transfer.Unfinished) string {
	var b strings.Builder
	for _, u := range bad {
		fmt.Fprintf(&b, "%s: %v\n", unfinishedName(u), u.Err)
	}
	return strings.TrimRight(b.String(), "\n")
}

// unfinishedName is the file a record is about, or its checkpoint.
func unfinishedName(u transfer.Unfinished) string {
	if u.Path == "" {
		return u.CheckpointFile
	}
	return u.Path
}

// unfinishedWhy is why a record cannot be resumed, in plain words.
func unfinishedWhy(u transfer.Unfinished) string {
	if u.Err == nil {
		return lang.L("the record names no file")
	}
	return errorText(u.Err)
}

// unfinishedSummary is the dialog's first line: how many, how much is left,
// and where to.
func unfinishedSummary(good, bad []transfer.Unfinished) string {
	var left int64
	dests := map[string]bool{}
	for _, u := range good {
		left += max(u.Size-u.Done, 0)
		dests[u.Bucket] = true
	}
	data := map[string]any{"Count": len(good), "Left": size(left)}
	var s string
	switch len(dests) {
	case 0:
		s = lang.N("{{.Count}} uploads did not finish last time; {{.Left}} left to send.", len(good), data)
	case 1:
		for b := range dests {
			data["Bucket"] = b
		}
		s = lang.N("{{.Count}} uploads did not finish last time to {{.Bucket}}; {{.Left}} left to send.", len(good), data)
	default:
		data["Buckets"] = len(dests)
		s = lang.N("{{.Count}} uploads did not finish last time to {{.Buckets}} buckets; {{.Left}} left to send.", len(good), data)
	}
	if len(bad) > 0 {
		s += "\n" + lang.N("{{.Count}} records cannot be resumed (shown in red); Discard removes them.", len(bad), map[string]any{"Count": len(bad)})
	}
	return s
}

func unfinishedLine(u transfer.Unfinished) string {
	if u.Err != nil {
		return lang.L("{{.What}} — {{.Why}}", map[string]any{"What": unfinishedName(u), "Why": unfinishedWhy(u)})
	}
	prog := size(u.Size)
	if u.Done > 0 {
		prog = lang.L("{{.Sent}} of {{.Size}}", map[string]any{"Sent": size(u.Done), "Size": size(u.Size)})
	}
	return lang.L("{{.Path}}  to  {{.Object}} · {{.Progress}}", map[string]any{"Path": u.Path, "Object": destination(u.Bucket, u.Key), "Progress": prog})
}

// askResume shows the resume-on-launch dialog.
func (w *Window) askResume(good, bad []transfer.Unfinished) {
	all := append(append([]transfer.Unfinished(nil), good...), bad...)
	list := widget.NewList(func() int { return len(all) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			l := o.(*widget.Label)
			l.SetText(unfinishedLine(all[i]))
			want := widget.MediumImportance
			if all[i].Err != nil {
				want = widget.DangerImportance
			}
			setImportance(l, want)
		})
	summary := widget.NewLabel(unfinishedSummary(good, bad))
	summary.Wrapping = fyne.TextWrapWord
	content := container.NewBorder(summary, nil, nil, nil, list)

	d := dialog.NewCustomWithoutButtons(lang.L("Resume unfinished uploads?"), content, w.win)
	resumeAll := widget.NewButtonWithIcon(lang.L("Resume all"), theme.MediaPlayIcon(), func() {
		d.Hide()
		w.be.ResumeUnfinished(good)
	})
	resumeAll.Importance = widget.HighImportance
	if len(good) == 0 {
		resumeAll.Disable()
	}
	choose := widget.NewButtonWithIcon(lang.L("Choose…"), theme.ListIcon(), func() {
		d.Hide()
		w.chooseResume(good, bad)
	})
	if len(good) == 0 {
		choose.Disable()
	}
	discard := widget.NewButtonWithIcon(lang.L("Discard"), theme.DeleteIcon(), func() {
		d.Hide()
		w.confirmDiscard(all)
	})
	discard.Importance = widget.DangerImportance
	later := widget.NewButton(lang.L("Not now"), func() { d.Hide() })
	d.SetButtons([]fyne.CanvasObject{later, discard, choose, resumeAll})
	d.Resize(fyne.NewSize(820, 460))
	w.resumeDialog = d
	d.Show()
}

// chooseResume lets the user tick which uploads to resume; the rest stay
// recorded and are offered again next launch.
func (w *Window) chooseResume(good, bad []transfer.Unfinished) {
	picked := make([]bool, len(good))
	for i := range picked {
		picked[i] = true
	}
	list := widget.NewList(func() int { return len(good) },
		func() fyne.CanvasObject { return widget.NewCheck("", nil) },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			c := o.(*widget.Check)
			c.OnChanged = nil // reset before SetChecked so a recycled row does not write to the old index
			c.Text = unfinishedLine(good[i])
			c.SetChecked(picked[i])
			c.OnChanged = func(on bool) { picked[i] = on }
		})
	note := widget.NewLabel(lang.L("Uploads you leave unticked stay recorded and are offered again next time."))
	note.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomWithoutButtons(lang.L("Choose uploads to resume"), container.NewBorder(note, nil, nil, nil, list), w.win)
	back := widget.NewButton(lang.L("Back"), func() {
		d.Hide()
		w.askResume(good, bad)
	})
	resume := widget.NewButtonWithIcon(lang.L("Resume selected"), theme.MediaPlayIcon(), func() {
		d.Hide()
		var sel []transfer.Unfinished
		for i, on := range picked {
			if on {
				sel = append(sel, good[i])
			}
		}
		w.be.ResumeUnfinished(sel)
	})
	resume.Importance = widget.HighImportance
	d.SetButtons([]fyne.CanvasObject{back, resume})
	d.Resize(fyne.NewSize(820, 460))
	w.resumeDialog = d
	d.Show()
}

// confirmDiscard aborts the recorded multipart uploads and removes their
// checkpoints, after asking: the bytes already sent are lost.
func (w *Window) confirmDiscard(items []transfer.Unfinished) {
	msg := lang.N("Discard {{.Count}} unfinished uploads? Parts already sent are deleted from the bucket and the checkpoints removed.",
		len(items), map[string]any{"Count": len(items)})
	d := newConfirm(lang.L("Discard unfinished uploads?"), msg, lang.L("Discard"), lang.L("Cancel"), func(ok bool) {
		if !ok {
			return
		}
		w.goAsync(func() func() {
			ctx, cancel := context.WithTimeout(context.Background(), discardTimeout)
			defer cancel()
			err := w.be.DiscardUnfinished(ctx, items)
			if err == nil {
				return nil
			}
			return func() { w.showError(problem(lang.L("Cannot discard the unfinished uploads"), err)) }
		})
	}, w.win)
	w.resumeDialog = d
	d.Show()
}
