package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/ossdrop/ossdrop/app"
	"github.com/ossdrop/ossdrop/settings"
)

// importDialog reads an ossutil config file into new profiles.
type importDialog struct {
	s                  *settingsDialog
	d                  dialog.Dialog
	path, name, bucket *widget.Entry
	result             *widget.Label
}

// showImport asks which ossutil config to import (~/.ossutilconfig unless
// another is chosen) and, since ossutil keeps no bucket unless it has
// per-bucket endpoints, which bucket the new profile uploads to.
func (s *settingsDialog) showImport() {
	im := &importDialog{s: s}
	im.path = widget.NewEntry()
	im.path.SetText(settings.DefaultOssutilConfig())
	choose := widget.NewButtonWithIcon(lang.L("Choose…"), theme.FolderOpenIcon(), im.choose)
	im.bucket = widget.NewEntry()
	im.bucket.SetPlaceHolder(lang.L("needed unless the file has a [Bucket-Endpoint] section"))
	im.name = widget.NewEntry()
	im.name.SetPlaceHolder("ossutil")
	im.result = widget.NewLabel("")
	im.result.Wrapping = fyne.TextWrapWord
	im.result.Importance = widget.DangerImportance
	im.result.Hide()
	note := widget.NewLabel(lang.L("The AccessKey secret and any STS token go to the secret store, never to the settings file."))
	note.Wrapping = fyne.TextWrapWord
	note.Importance = widget.LowImportance
	form := widget.NewForm(
		widget.NewFormItem(lang.L("ossutil config"), container.NewBorder(nil, nil, nil, choose, im.path)),
		widget.NewFormItem(lang.L("Bucket"), im.bucket),
		widget.NewFormItem(lang.L("Profile name"), im.name),
	)
	doImport := widget.NewButtonWithIcon(lang.L("Import"), theme.ConfirmIcon(), im.run)
	doImport.Importance = widget.HighImportance
	cancel := widget.NewButton(lang.L("Cancel"), func() { im.d.Hide() })
	content := container.NewVBox(form, note, im.result, container.NewHBox(layout.NewSpacer(), cancel, doImport))
	im.d = dialog.NewCustomWithoutButtons(lang.L("Import from ossutil"), content, s.w.win)
	im.d.SetOnClosed(func() { s.importing = nil })
	s.importing = im
	im.d.Resize(fyne.NewSize(600, content.MinSize().Height+60))
	im.d.Show()
}

func (im *importDialog) choose() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			im.fail(problem(lang.L("Cannot choose the ossutil config"), err))
			return
		}
		if r == nil {
			return
		}
		im.path.SetText(r.URI().Path())
		_ = r.Close()
	}, im.s.w.win)
	d.Show()
	d.Resize(fyne.NewSize(800, 560))
}

func (im *importDialog) fail(err error) {
	im.result.SetText(lang.L("Not imported: {{.Reason}}", map[string]any{"Reason": problemText(err)}))
	im.result.Show()
}

func (im *importDialog) run() {
	im.s.importOssutil(strings.TrimSpace(im.path.Text), strings.TrimSpace(im.name.Text), strings.TrimSpace(im.bucket.Text),
		func(names []string, err error) {
			if err != nil {
				im.fail(err)
				return
			}
			im.d.Hide()
			im.s.saveResult.Importance = widget.SuccessImportance
			im.s.saveResult.SetText(lang.N("Imported {{.Names}} from ossutil", len(names), map[string]any{"Names": strings.Join(names, ", ")}))
		})
}

// importOssutil adds the profiles of an ossutil config file, with their
// secrets, and saves the settings; nothing is changed when any of them
// cannot be added. The file and the keyring are handled on another
// goroutine; done gets the new profiles' names on the UI goroutine.
func (s *settingsDialog) importOssutil(path, name, bucket string, done func([]string, error)) {
	core := s.w.core
	s.w.goAsync(func() func() {
		names, err := importOssutilProfiles(core, path, name, bucket)
		cfg := core.Config()
		return func() {
			if err != nil {
				done(nil, err)
				return
			}
			s.cfg = cfg
			s.w.cfg = cfg
			s.w.profile.Options = profileNames(cfg)
			s.w.profile.Refresh()
			s.which.Options = append(profileNames(cfg), newProfileChoice())
			s.which.SetSelected(names[0])
			done(names, nil)
		}
	})
}

// importOssutilProfiles reads the ossutil file and adds its profiles through the core.
func importOssutilProfiles(core *app.Core, path, name, bucket string) ([]string, error) {
	oc, err := settings.ReadOssutilConfig(path)
	if err != nil {
		return nil, err
	}
	ps, err := oc.Profiles(name, bucket)
	if err != nil {
		return nil, err
	}
	if err := core.AddProfiles(ps, oc.Credentials); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(ps))
	for _, p := range ps {
		names = append(names, p.Name)
	}
	return names, nil
}
