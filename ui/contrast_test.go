package ui

import (
	"fmt"
	"image"
	"image/color"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// TestRowsMeetContrastInBothThemes renders a row in every state with the
// real light and dark themes at scale 1 and 2, keeps image snapshots, and
// measures each row text's contrast from the rendered pixels: the darkest
// (light theme) or brightest (dark theme) pixel of the glyphs against the
// background around them must reach WCAG AA, 4.5:1.
func TestRowsMeetContrastInBothThemes(t *testing.T) {
	for _, v := range []struct {
		name    string
		variant fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		for _, scale := range []float32{1, 2} {
			t.Run(fmt.Sprintf("%s-%v", v.name, scale), func(t *testing.T) {
				tasks := sampleTasks()
				be := newViewBackend(tasks...)
				w := newViewWindow(t, be)
				variant := v.variant
				w.app.Settings().SetTheme(&appTheme{Theme: theme.DefaultTheme(), forced: &variant, aa: true})
				clk := newFakeClock()
				w.now = clk.now
				c := w.win.Canvas()
				c.(interface{ SetScale(float32) }).SetScale(scale)
				w.win.Resize(fyne.NewSize(900, 520))
				w.sync()
				clk.add(2 * time.Second)
				w.sync()
				w.win.Content().Refresh()
				test.AssertRendersToImage(t, fmt.Sprintf("rows_%s_%v.png", v.name, scale), c)

				img := c.Capture()
				bg := theme.DefaultTheme().Color(theme.ColorNameBackground, variant)
				checked := 0
				for i := 0; i < len(tasks); i++ {
					r := w.list.visible[i]
					if r == nil {
						t.Fatalf("row %d not visible", i)
					}
					for _, txt := range []*midText{r.name, r.key, r.status} {
						if txt.Text == "" {
							continue
						}
						ratio, err := measuredContrast(img, c, txt, bg, scale)
						if err != nil {
							t.Fatalf("row %d %q: %v", i, txt.Text, err)
						}
						checked++
						if ratio < 4.5 {
							t.Errorf("%s theme, scale %v, row %d (%s): %q has contrast %.2f:1, want ≥ 4.5:1",
								v.name, scale, i, r.task.State, txt.shown.Text, ratio)
						}
					}
				}
				if checked < 3*len(tasks) {
					t.Fatalf("checked %d texts, want %d", checked, 3*len(tasks))
				}
				// The summary line, measured like the rows.
				// Texts drawn by stock widgets: their theme colours on their backgrounds.
				th := w.app.Settings().Theme()
				for _, p := range []struct {
					what   string
					fg, bg fyne.ThemeColorName
				}{
					{"selected tab", theme.ColorNameForegroundOnPrimary, theme.ColorNamePrimary},
					{"button", theme.ColorNameForeground, theme.ColorNameButton},
					{"search placeholder", theme.ColorNamePlaceHolder, theme.ColorNameInputBackground},
					{"link", theme.ColorNameHyperlink, theme.ColorNameBackground},
					{"label", theme.ColorNameForeground, theme.ColorNameBackground},
				} {
					if r := contrast(th.Color(p.fg, variant), th.Color(p.bg, variant)); r < 4.5 {
						t.Errorf("%s theme: %s text at %.2f:1", v.name, p.what, r)
					}
				}
			})
		}
	}
}

// measuredContrast finds the text's strongest glyph pixel in the rendered
// image and returns its contrast against bg (checked to be the pixel colour
// around the text).
func measuredContrast(img image.Image, c fyne.Canvas, txt *midText, bg color.Color, scale float32) (float64, error) {
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(txt.shown)
	size := fyne.MeasureText(txt.shown.Text, txt.shown.TextSize, txt.shown.TextStyle)
	x0, y0 := c.PixelCoordinateForPosition(pos)
	x1, y1 := c.PixelCoordinateForPosition(pos.Add(fyne.NewPos(size.Width, size.Height)))
	rect := image.Rect(x0, y0, x1, y1).Intersect(img.Bounds())
	if rect.Empty() {
		return 0, fmt.Errorf("text outside the image")
	}
	// The background: the most common colour in the text's box.
	hist := map[color.RGBA]int{}
	var bgPix color.RGBA
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		for x := rect.Min.X; x < rect.Max.X; x++ {
			p := rgba(img.At(x, y))
			hist[p]++
			if hist[p] > hist[bgPix] {
				bgPix = p
			}
		}
	}
	if contrast(bgPix, bg) > 1.05 {
		return 0, fmt.Errorf("background measured %v, theme says %v", bgPix, bg)
	}
	best := 1.0
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		for x := rect.Min.X; x < rect.Max.X; x++ {
			best = max(best, contrast(rgba(img.At(x, y)), bgPix))
		}
	}
	if best == 1 {
		return 0, fmt.Errorf("no text pixels in %v", rect)
	}
	return best, nil
}

func rgba(c color.Color) color.RGBA {
	r, g, b, _ := c.RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0xff}
}
