package ui

import (
	"context"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"
	"github.com/ossdrop/ossdrop/transfer"
)

// surveyFolder counts what adding a folder would queue; a variable so tests
// can hold the count back.
var surveyFolder = transfer.Survey

// hiddenAdder is what a Backend offers when it can leave hidden files out.
type hiddenAdder interface {
	AddSkippingHidden(paths []string, prefix string)
}

// confirmFolder counts the files in dir off the UI goroutine, then shows
// what would be uploaded (files, total size, hidden files left out unless
// ticked) and queues only when the user says so.
func (w *Window) confirmFolder(dir string) {
	if w.target.Bucket == "" {
		w.showError(problem(lang.L("Choose a bucket before adding files"), nil))
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	counting := dialog.NewCustom(lang.L("Add folder"), lang.L("Cancel"),
		container.NewVBox(widget.NewLabel(lang.L("Counting the files in {{.Folder}}…", map[string]any{"Folder": dir})),
			widget.NewProgressBarInfinite()), w.win)
	counted := false // set on the UI goroutine once the count is in
	counting.SetOnClosed(func() {
		if !counted {
			cancel()
		}
	})
	counting.Show()
	prefix := w.prefix
	w.bg.Add(1)
	go func() {
		defer w.bg.Done()
		s, err := surveyFolder(ctx, []string{dir})
		w.do(func() {
			if ctx.Err() != nil { // the user canceled the count
				return
			}
			counted = true
			counting.Hide()
			cancel()
			if err != nil {
				w.showError(problem(lang.L("Cannot count the files in {{.Folder}}", map[string]any{"Folder": dir}), err))
				return
			}
			w.showFolderConfirm(dir, prefix, s)
		})
	}()
}

// folderSummary says what will be uploaded with or without hidden files.
func folderSummary(dir, where string, s transfer.FolderSurvey, hidden bool) string {
	files, bytes := s.Files, s.Bytes
	if !hidden {
		files, bytes = s.Files-s.HiddenFiles, s.Bytes-s.HiddenBytes
	}
	return lang.N("{{.Count}} files ({{.Size}}) from {{.Folder}} will upload to {{.Where}}.", files,
		map[string]any{"Count": files, "Size": size(bytes), "Folder": filepath.Base(dir), "Where": where})
}

func (w *Window) showFolderConfirm(dir, prefix string, s transfer.FolderSurvey) {
	w.log.Info("ask before queuing folder", "folder", dir, "files", s.Files, "bytes", s.Bytes,
		"hidden_files", s.HiddenFiles, "hidden_bytes", s.HiddenBytes, "problems", s.Problems)
	where := w.target.Bucket + "/" + prefix + filepath.Base(dir) + "/"
	text := widget.NewLabel(folderSummary(dir, where, s, false))
	text.Wrapping = fyne.TextWrapWord
	items := []fyne.CanvasObject{text}
	hidden := widget.NewCheck(lang.N("Include {{.Count}} hidden files ({{.Size}})", s.HiddenFiles,
		map[string]any{"Count": s.HiddenFiles, "Size": size(s.HiddenBytes)}), func(on bool) {
		text.SetText(folderSummary(dir, where, s, on))
	})
	if s.HiddenFiles > 0 {
		items = append(items, hidden)
	}
	if s.Problems > 0 {
		p := widget.NewLabel(lang.N("{{.Count}} entries cannot be read; they will be listed as failed.", s.Problems,
			map[string]any{"Count": s.Problems}))
		p.Importance = widget.WarningImportance
		items = append(items, p)
	}
	d := dialog.NewCustomConfirm(lang.L("Upload this folder?"), lang.L("Upload"), lang.L("Cancel"),
		container.NewVBox(items...), func(ok bool) {
			if !ok {
				return
			}
			if ha, can := w.be.(hiddenAdder); can && !hidden.Checked {
				w.log.Info("queue folder without hidden files", "folder", dir, "files", s.Files-s.HiddenFiles)
				ha.AddSkippingHidden([]string{dir}, prefix)
				return
			}
			w.log.Info("queue folder", "folder", dir, "files", s.Files)
			w.be.Add([]string{dir}, prefix)
		}, w.win)
	d.Resize(fyne.NewSize(520, 0))
	d.Show()
	w.folderDialog = d
}

// confirmCancel asks before throwing away a partly uploaded file; a file
// with nothing sent yet is canceled at once.
func (w *Window) confirmCancel(id transfer.TaskID) {
	t, _ := w.be.Task(id)
	sent := max(t.Sent, t.Done)
	if t.ID == 0 || sent <= 0 || t.State.Finished() {
		w.act("cancel", id, w.be.Cancel)
		return
	}
	newConfirm(lang.L("Cancel this upload?"),
		lang.L("{{.Sent}} of {{.Name}} is already uploaded. Canceling throws that away; uploading it again starts from zero.",
			map[string]any{"Sent": size(sent), "Name": displayName(t)}),
		lang.L("Cancel upload"), lang.L("Keep uploading"), func(ok bool) {
			if ok {
				w.act("cancel", id, w.be.Cancel)
			}
		}, w.win).Show()
}
