package ui

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Colours of the window's own texts. Fyne's stock colours for low-importance
// and success labels fall far below WCAG AA on its own backgrounds ("Queued"
// at 1.3:1), so rows use these names instead; each value keeps at least
// 4.5:1 against the theme's background in its variant (tested by measuring
// rendered pixels in view_contrast_test.go).
const (
	colorSubtle  fyne.ThemeColorName = "ossdrop.subtle"  // secondary text, finished rows
	colorOK      fyne.ThemeColorName = "ossdrop.ok"      // done
	colorBad     fyne.ThemeColorName = "ossdrop.bad"     // failed
	colorWarn    fyne.ThemeColorName = "ossdrop.warn"    // retrying, paused, stalled
	colorBar     fyne.ThemeColorName = "ossdrop.bar"     // progress bar fill
	colorBarDone fyne.ThemeColorName = "ossdrop.barDone" // a finished row's bar, subdued
	colorTrack   fyne.ThemeColorName = "ossdrop.track"   // progress bar background
)

var ownColors = map[fyne.ThemeColorName][2]color.NRGBA{ // [light, dark]
	colorSubtle:  {{0x5e, 0x5e, 0x5e, 0xff}, {0xa8, 0xa8, 0xa8, 0xff}},
	colorOK:      {{0x1b, 0x6e, 0x2a, 0xff}, {0x5f, 0xd0, 0x6a, 0xff}},
	colorBad:     {{0xb7, 0x1c, 0x1c, 0xff}, {0xff, 0x7a, 0x6e, 0xff}},
	colorWarn:    {{0x8a, 0x4b, 0x00, 0xff}, {0xff, 0xa7, 0x26, 0xff}},
	colorBar:     {{0x1e, 0x6f, 0xd9, 0xff}, {0x4d, 0x9b, 0xff, 0xff}},
	colorBarDone: {{0xb8, 0xc4, 0xb9, 0xff}, {0x3f, 0x55, 0x43, 0xff}},
	colorTrack:   {{0xe6, 0xe6, 0xe6, 0xff}, {0x33, 0x33, 0x36, 0xff}},
}

// appTheme is the window's theme: the base theme (the system's light or
// dark by default, with CJK fonts when the window speaks Chinese) plus the
// colours above.
type appTheme struct {
	fyne.Theme
	forced *fyne.ThemeVariant // tests pin a variant; nil follows the system
	// aa replaces the few stock colours of Fyne's default theme that miss
	// 4.5:1 (white on the primary blue 4.47, placeholder text 3.2 in light,
	// links 4.0 in dark). Other base themes are left as their authors made them.
	aa bool
}

// aaColors are those replacements, [light, dark].
var aaColors = map[fyne.ThemeColorName][2]color.NRGBA{
	theme.ColorNamePrimary:     {{0x1e, 0x62, 0xd6, 0xff}, {0x1e, 0x62, 0xd6, 0xff}},
	theme.ColorNameHyperlink:   {{0x1e, 0x62, 0xd6, 0xff}, {0x7a, 0xb0, 0xff, 0xff}},
	theme.ColorNamePlaceHolder: {{0x69, 0x69, 0x69, 0xff}, {0xb2, 0xb2, 0xb2, 0xff}},
}

// NewTheme wraps base (nil: Fyne's default) with ossdrop's colours.
func NewTheme(base fyne.Theme) fyne.Theme {
	if base == nil {
		base = theme.DefaultTheme()
	}
	if t, ok := base.(*appTheme); ok {
		return t
	}
	aa := isDefaultTheme(base)
	// Chinese text gets CJK fonts with a true bold (fonts.go), when the
	// window speaks Chinese and such a font is installed.
	if _, done := base.(*cjkTheme); !done {
		if th, err := WithCJKFonts(base); err == nil {
			base = th
		}
	}
	return &appTheme{Theme: base, aa: aa}
}

// isDefaultTheme reports whether t is Fyne's default theme, perhaps with
// CJK fonts put over it.
func isDefaultTheme(t fyne.Theme) bool {
	if c, ok := t.(*cjkTheme); ok {
		t = c.Theme
	}
	return t == theme.DefaultTheme()
}

// Color answers ossdrop's colour names and passes the rest to the base.
func (t *appTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if t.forced != nil {
		v = *t.forced
	}
	c, ok := ownColors[n]
	if !ok && t.aa {
		c, ok = aaColors[n]
	}
	if ok {
		if v == theme.VariantDark {
			return c[1]
		}
		return c[0]
	}
	return t.Theme.Color(n, v)
}

// luminance is WCAG's relative luminance of an opaque colour.
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		s := float64(v) / 0xffff
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// contrast is WCAG's contrast ratio between two opaque colours (1..21).
func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// colorOf resolves a colour name for the current app theme. ossdrop's own
// names are answered even when something else replaced the app theme (a
// font theme wrapping the default, a test theme): a theme that does not know
// them would draw the rows' text in transparent.
func colorOf(n fyne.ThemeColorName) color.Color {
	c, own := ownColors[n]
	if !own {
		return theme.Color(n)
	}
	s := fyne.CurrentApp().Settings()
	v := s.ThemeVariant()
	if at, ok := s.Theme().(*appTheme); ok {
		return at.Color(n, v)
	}
	if v == theme.VariantDark {
		return c[1]
	}
	return c[0]
}
