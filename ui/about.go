package ui

import (
	"net/url"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Where people find help and the code.
const (
	projectURL = "https://github.com/ossdrop/ossdrop"
	helpURL    = projectURL + "#using-the-window"
)

// shortcut is one line of the keyboard help.
type shortcut struct{ keys, what string }

// shortcuts are every key the window answers, listed in the Help menu and
// the About dialog. Keep them in step with addShortcuts, addViewShortcuts
// and taskList.TypedKey.
func shortcuts() []shortcut {
	return []shortcut{
		{"Ctrl+O", lang.L("Add files…")},
		{"Ctrl+Shift+O", lang.L("Add folder…")},
		{"Ctrl+F", lang.L("Search name or key")},
		{"Ctrl+A", lang.L("Select every row shown")},
		{"Delete", lang.L("Remove the selected finished or paused rows")},
		{"Enter", lang.L("Details of the selected row")},
		{"↑ ↓ PgUp PgDn Home End", lang.L("Move through the list")},
		{"Ctrl+Q", lang.L("Quit")},
		{"F1", lang.L("Keyboard shortcuts")},
	}
}

// buildHelpButton is the toolbar's help button: shortcuts, online help, About.
func (w *Window) buildHelpButton() fyne.CanvasObject {
	var b *tipButton
	b = newTipButton("", theme.HelpIcon(), lang.L("Help and about"), w.tips, func() {
		menu := fyne.NewMenu("",
			fyne.NewMenuItem(lang.L("Keyboard shortcuts"), w.ShowShortcuts),
			fyne.NewMenuItem(lang.L("Online help"), w.openHelp),
			fyne.NewMenuItemSeparator(),
			fyne.NewMenuItem(lang.L("About ossdrop"), w.ShowAbout))
		pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(b)
		widget.ShowPopUpMenuAtPosition(menu, w.win.Canvas(), pos.AddXY(0, b.Size().Height))
	})
	b.Importance = widget.LowImportance
	return b
}

func (w *Window) openHelp() {
	u, _ := url.Parse(helpURL)
	if err := w.app.OpenURL(u); err != nil {
		w.showError(err)
	}
}

// shortcutsTable lays the shortcuts out in two columns.
func shortcutsTable() fyne.CanvasObject {
	var objs []fyne.CanvasObject
	for _, s := range shortcuts() {
		k := widget.NewLabel(s.keys)
		k.TextStyle.Monospace = true
		objs = append(objs, k, widget.NewLabel(s.what))
	}
	return container.New(layoutFormLike{}, objs...)
}

// ShowShortcuts lists the keyboard shortcuts (F1).
func (w *Window) ShowShortcuts() {
	dialog.NewCustom(lang.L("Keyboard shortcuts"), lang.L("Close"), shortcutsTable(), w.win).Show()
}

// ShowAbout shows the version, licence, project and help links, and the
// shortcuts.
func (w *Window) ShowAbout() {
	version := w.version
	if version == "" {
		version = w.app.Metadata().Version
	}
	project, _ := url.Parse(projectURL)
	help, _ := url.Parse(helpURL)
	title := widget.NewLabel("ossdrop")
	title.TextStyle.Bold = true
	title.SizeName = theme.SizeNameSubHeadingText
	body := container.NewVBox(
		title,
		widget.NewLabel(lang.L("Drop files and folders to upload them to Alibaba Cloud OSS, resumably.")),
		widget.NewLabel(lang.L("Version {{.Version}}", map[string]any{"Version": version})),
		widget.NewLabel(lang.L("Licence: {{.Licence}}", map[string]any{"Licence": projectLicence})),
		container.NewHBox(widget.NewHyperlink(lang.L("Project page"), project), widget.NewHyperlink(lang.L("Help"), help)),
		widget.NewButtonWithIcon(lang.L("Keyboard shortcuts (F1)"), theme.ComputerIcon(), w.ShowShortcuts),
	)
	d := dialog.NewCustom(lang.L("About ossdrop"), lang.L("Close"), body, w.win)
	d.Show()
}

// projectLicence is the SPDX identifier of the licence the project is
// published under; the full text is LICENSE at the top of the repository.
const projectLicence = "Apache-2.0"

// addViewShortcuts adds the list and help keys: Ctrl+F and F1.
func (w *Window) addViewShortcuts() {
	c := w.win.Canvas()
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { c.Focus(w.vbar.search) })
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF1}, func(fyne.Shortcut) { w.ShowShortcuts() })
}

// layoutFormLike is two columns: keys at their width, descriptions after.
type layoutFormLike struct{}

func (layoutFormLike) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	var kw float32
	for i := 0; i < len(objs); i += 2 {
		kw = max(kw, objs[i].MinSize().Width)
	}
	y := float32(0)
	for i := 0; i+1 < len(objs); i += 2 {
		h := max(objs[i].MinSize().Height, objs[i+1].MinSize().Height)
		objs[i].Resize(fyne.NewSize(kw, h))
		objs[i].Move(fyne.NewPos(0, y))
		objs[i+1].Resize(fyne.NewSize(s.Width-kw, h))
		objs[i+1].Move(fyne.NewPos(kw, y))
		y += h
	}
}

func (layoutFormLike) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var kw, dw, h float32
	for i := 0; i+1 < len(objs); i += 2 {
		kw = max(kw, objs[i].MinSize().Width)
		dw = max(dw, objs[i+1].MinSize().Width)
		h += max(objs[i].MinSize().Height, objs[i+1].MinSize().Height)
	}
	return fyne.NewSize(kw+dw, h)
}
