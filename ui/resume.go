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

// UnfinishedLister reads the uploads a previous run left unfinished (e.g.
// app.Core.Unfinished). It may take seconds for a large queue.
type UnfinishedLister func(ctx context.Context) ([]transfer.Unfinished, error)

// OfferResumeWhenListed lists the unfinished uploads on a goroutine of its
// own and then, on the UI goroutine, offers them as OfferResume does. The
// window works meanwhile: a queue of 500,000 files takes seconds to read, and
// the window must not wait for it to appear. With policy "never" nothing is
// read. Stop, or ctx ending, drops the offer; list gets a context that ends
// then too.
func (w *Window) OfferResumeWhenListed(ctx context.Context, list UnfinishedLister, policy settings.ResumePolicy) {
	if list == nil || policy == settings.ResumeNever {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	w.mu.Lock()
	w.stopListing = append(w.stopListing, cancel)
	w.mu.Unlock()
	w.goAsync(func() func() {
		began := time.Now()
		items, err := list(ctx)
		if ctx.Err() != nil {
			cancel()
			return nil // the window is closing: nobody to ask
		}
		if err != nil {
			// A partial list is still offered; what could not be read is in it
			// as records with Err, shown in red.
			w.log.Warn("list unfinished uploads", "err", err)
		}
		w.log.Info("listed unfinished uploads", "records", len(items), "took", time.Since(began).Round(time.Millisecond))
		o := newResumeOffer(items) // sorted and summed here, off the UI goroutine
		return func() {
			defer cancel()
			if ctx.Err() == nil { // Stop may have come while this waited
				w.offerResume(o, policy)
			}
		}
	})
}

// OfferResume deals with uploads a previous run left unfinished, as policy
// says: resume them all, leave them, or ask with Resume all / Choose /
// Discard. Records that cannot be read are never resumed; they are named in
// the dialog (or in an error with policy "always") so nothing is lost silently.
// The offer takes items over: it reorders them in place rather than copying
// a list that can hold hundreds of thousands of records.
func (w *Window) OfferResume(items []transfer.Unfinished, policy settings.ResumePolicy) {
	if len(items) == 0 || policy == settings.ResumeNever {
		return
	}
	w.offerResume(newResumeOffer(items), policy)
}

// offerResume is OfferResume once the records are sorted, on the UI goroutine.
func (w *Window) offerResume(o *resumeOffer, policy settings.ResumePolicy) {
	if len(o.all) == 0 || policy == settings.ResumeNever {
		return
	}
	if policy == settings.ResumeAlways {
		w.resumeUnfinished(o.good())
		if bad := o.bad(); len(bad) > 0 {
			w.showError(problemWithDetails(lang.N("{{.Count}} unfinished uploads could not be resumed:", len(bad), map[string]any{"Count": count(len(bad))})+"\n"+badText(bad), badTechnical(bad)))
		}
		return
	}
	w.askResume(o)
}

// resumeUnfinished hands the records in parts to the Backend, in order, on a
// goroutine of its own: the Manager admits them one by one under its lock,
// seconds for a very large queue, and the window must go on drawing
// meanwhile. Rows appear as the refresh loop sees the tasks admitted.
func (w *Window) resumeUnfinished(parts ...[]transfer.Unfinished) {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n == 0 {
		return
	}
	be := w.be
	w.goAsync(func() func() {
		for _, p := range parts {
			if len(p) > 0 {
				be.ResumeUnfinished(p)
			}
		}
		return nil
	})
}

// resumeOffer is what the resume offer shows: the records as listed,
// reordered in place so the resumable ones come first, and the summary line.
// The dialogs share it and copy no records.
type resumeOffer struct {
	all     []transfer.Unfinished // resumable ones first, then unreadable ones
	nGood   int
	summary string
}

// newResumeOffer sorts items (in place) and sums them up. It touches no
// widget, so it may run off the UI goroutine.
func newResumeOffer(items []transfer.Unfinished) *resumeOffer {
	good, bad := splitUnfinished(items)
	return &resumeOffer{all: items[:len(good)+len(bad)], nGood: len(good), summary: unfinishedSummary(good, bad)}
}

func (o *resumeOffer) good() []transfer.Unfinished { return o.all[:o.nGood:o.nGood] }
func (o *resumeOffer) bad() []transfer.Unfinished  { return o.all[o.nGood:] }

// unreadable reports a record that cannot be resumed.
func unreadable(u *transfer.Unfinished) bool {
	// A walk's Key is its prefix, empty by default.
	return u.Err != nil || u.Path == "" || (u.Key == "" && !u.Walk)
}

// splitUnfinished sorts records into resumable and unreadable ones, in place:
// good and bad are items[:g] and items[g:n], and the records past n are
// cleared. Uploads another ossdrop process is running right now are neither:
// they are not unfinished from this window's point of view, and offering them
// would only produce skipped rows. Resumable records keep their order (the
// order they queue in); unreadable ones may change theirs.
func splitUnfinished(items []transfer.Unfinished) (good, bad []transfer.Unfinished) {
	n := 0
	for i := range items {
		if items[i].InUse {
			continue
		}
		if n != i {
			items[n] = items[i]
		}
		n++
	}
	clear(items[n:]) // no strings or errors kept alive by records left out
	g := 0
	for i := range items[:n] {
		if unreadable(&items[i]) {
			continue
		}
		if g != i {
			items[g], items[i] = items[i], items[g]
		}
		g++
	}
	return items[:g:g], items[g:n:n]
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
	unsized := 0
	dests := map[string]bool{}
	for _, u := range good {
		if u.Size < 0 {
			unsized++ // queued from a folder before its size was read
		} else {
			left += max(u.Size-u.Done, 0)
		}
		dests[u.Bucket] = true
	}
	data := map[string]any{"Count": count(len(good)), "Left": size(left)}
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
	if unsized > 0 {
		s += "\n" + lang.N("The sizes of {{.Count}} files are read when they resume.", unsized, map[string]any{"Count": count(unsized)})
	}
	if len(bad) > 0 {
		s += "\n" + lang.N("{{.Count}} records cannot be resumed (shown in red); Discard removes them.", len(bad), map[string]any{"Count": count(len(bad))})
	}
	return s
}

func unfinishedLine(u transfer.Unfinished) string {
	if u.Err != nil {
		return lang.L("{{.What}} — {{.Why}}", map[string]any{"What": unfinishedName(u), "Why": unfinishedWhy(u)})
	}
	prog := size(u.Size)
	switch {
	case u.Size < 0 && u.Done > 0:
		prog = lang.L("{{.Sent}} sent", map[string]any{"Sent": size(u.Done)})
	case u.Size < 0: // its size is read when it resumes
		return lang.L("{{.Path}}  to  {{.Object}}", map[string]any{"Path": u.Path, "Object": destination(u.Bucket, u.Key)})
	case u.Done > 0:
		prog = lang.L("{{.Sent}} of {{.Size}}", map[string]any{"Sent": size(u.Done), "Size": size(u.Size)})
	}
	return lang.L("{{.Path}}  to  {{.Object}} · {{.Progress}}", map[string]any{"Path": u.Path, "Object": destination(u.Bucket, u.Key), "Progress": prog})
}

// askResume shows the resume-on-launch dialog.
func (w *Window) askResume(o *resumeOffer) {
	all := o.all
	list := widget.NewList(func() int { return len(all) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, c fyne.CanvasObject) {
			l := c.(*widget.Label)
			l.SetText(unfinishedLine(all[i]))
			want := widget.MediumImportance
			if all[i].Err != nil {
				want = widget.DangerImportance
			}
			setImportance(l, want)
		})
	summary := widget.NewLabel(o.summary)
	summary.Wrapping = fyne.TextWrapWord
	content := container.NewBorder(summary, nil, nil, nil, list)

	d := dialog.NewCustomWithoutButtons(lang.L("Resume unfinished uploads?"), content, w.win)
	resumeAll := widget.NewButtonWithIcon(lang.L("Resume all"), theme.MediaPlayIcon(), func() {
		w.hideResumeDialog(d)
		w.resumeUnfinished(o.good())
	})
	resumeAll.Importance = widget.HighImportance
	if o.nGood == 0 {
		resumeAll.Disable()
	}
	choose := widget.NewButtonWithIcon(lang.L("Choose…"), theme.ListIcon(), func() {
		w.hideResumeDialog(d)
		w.chooseResume(o)
	})
	if o.nGood == 0 {
		choose.Disable()
	}
	discard := widget.NewButtonWithIcon(lang.L("Discard"), theme.DeleteIcon(), func() {
		w.hideResumeDialog(d)
		w.confirmDiscard(all)
	})
	discard.Importance = widget.DangerImportance
	later := widget.NewButton(lang.L("Not now"), func() { w.hideResumeDialog(d) })
	d.SetButtons([]fyne.CanvasObject{later, discard, choose, resumeAll})
	d.Resize(fyne.NewSize(820, 460))
	w.resumeDialog = d
	d.Show()
}

// hideResumeDialog hides d and lets go of it, so the window does not keep the
// records alive once the offer is answered.
func (w *Window) hideResumeDialog(d dialog.Dialog) {
	d.Hide()
	if w.resumeDialog == d {
		w.resumeDialog = nil
	}
}

// chooseResume lets the user tick which uploads to resume; the rest stay
// recorded and are offered again next launch.
func (w *Window) chooseResume(o *resumeOffer) {
	good := o.good()
	picked := make([]bool, len(good))
	for i := range picked {
		picked[i] = true
	}
	list := widget.NewList(func() int { return len(good) },
		func() fyne.CanvasObject { return widget.NewCheck("", nil) },
		func(i widget.ListItemID, c fyne.CanvasObject) {
			ch := c.(*widget.Check)
			ch.OnChanged = nil // reset before SetChecked so a recycled row does not write to the old index
			ch.Text = unfinishedLine(good[i])
			ch.SetChecked(picked[i])
			ch.OnChanged = func(on bool) { picked[i] = on }
		})
	note := widget.NewLabel(lang.L("Uploads you leave unticked stay recorded and are offered again next time."))
	note.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomWithoutButtons(lang.L("Choose uploads to resume"), container.NewBorder(note, nil, nil, nil, list), w.win)
	back := widget.NewButton(lang.L("Back"), func() {
		w.hideResumeDialog(d)
		w.askResume(o)
	})
	resume := widget.NewButtonWithIcon(lang.L("Resume selected"), theme.MediaPlayIcon(), func() {
		w.hideResumeDialog(d)
		w.resumeUnfinished(tickedRuns(good, picked)...)
	})
	resume.Importance = widget.HighImportance
	d.SetButtons([]fyne.CanvasObject{back, resume})
	d.Resize(fyne.NewSize(820, 460))
	w.resumeDialog = d
	d.Show()
}

// tickedRuns is the ticked records as runs of consecutive ones, each a slice
// of good itself: resuming a selection copies no records.
func tickedRuns(good []transfer.Unfinished, picked []bool) [][]transfer.Unfinished {
	var runs [][]transfer.Unfinished
	for i := 0; i < len(picked); {
		if !picked[i] {
			i++
			continue
		}
		j := i
		for j < len(picked) && picked[j] {
			j++
		}
		runs = append(runs, good[i:j:j])
		i = j
	}
	return runs
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
