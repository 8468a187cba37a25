package ui

import (
	"reflect"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

func TestAboutHelpAndShortcuts(t *testing.T) {
	w := newViewWindow(t, newViewBackend())
	w.version = "1.2.3"
	w.ShowAbout()
	txt := overlayText(w)
	for _, want := range []string{"Version 1.2.3", "Licence: Apache-2.0"} {
		if !strings.Contains(txt, want) {
			t.Errorf("About lacks %q:\n%s", want, txt)
		}
	}
	test.AssertRendersToImage(t, "about.png", w.win.Canvas())
	test.Tap(findButton(t, w.win.Canvas(), "Keyboard shortcuts (F1)"))
	for _, want := range []string{"Ctrl+Shift+O", "Add folder…", "Ctrl+Q", "F1", "Details of the selected row"} {
		if !strings.Contains(overlayText(w), want) {
			t.Errorf("shortcuts lack %q", want)
		}
	}
	// F1 lists the shortcuts; Ctrl+F puts the cursor in the search box.
	c := w.win.Canvas()
	for _, o := range c.Overlays().List() {
		c.Overlays().Remove(o)
	}
	sc := shortcutHandler(w)
	sc.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF1})
	if !strings.Contains(overlayText(w), "Move through the list") {
		t.Fatalf("F1 shows %q", overlayText(w))
	}
	for _, o := range c.Overlays().List() {
		c.Overlays().Remove(o)
	}
	sc.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault})
	if c.Focused() != w.vbar.search {
		t.Fatalf("Ctrl+F focused %v", c.Focused())
	}
}

// shortcutHandler is what dispatches the window's shortcuts in tests.
func shortcutHandler(w *Window) interface{ TypedShortcut(fyne.Shortcut) } {
	// The test canvas wraps the software canvas, which dispatches shortcuts
	// to what AddShortcut registered, as the real window does.
	inner := reflect.ValueOf(w.win.Canvas()).Elem().FieldByName("WindowlessCanvas").Interface()
	return inner.(interface{ TypedShortcut(fyne.Shortcut) })
}

func TestWindowFitsInNarrowScreens(t *testing.T) {
	for _, v := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
		w := newViewWindow(t, newViewBackend(sampleTasks()...))
		variant := v
		w.app.Settings().SetTheme(&appTheme{Theme: theme.DefaultTheme(), forced: &variant})
		w.sync()
		if min := w.win.Content().MinSize(); min.Width > 640 {
			t.Errorf("the window cannot be narrower than %.0f px, want ≤ 640", min.Width)
		}
		w.win.Resize(fyne.NewSize(640, 480))
		if h := w.list.visible[0].Size().Height; h > 48 {
			t.Errorf("rows are %.0f px tall, want ≤ 48", h)
		}
	}
}
